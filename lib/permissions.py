"""Role checks shared by the pages (mixins/decorators) and the API (DRF permissions)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission

from lib.roles import Role, has_role, is_machine

if TYPE_CHECKING:  # DRF loads the default permission while rest_framework.views is being imported
    from rest_framework.request import Request
    from rest_framework.views import APIView


def role_required(*roles: Role) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Function-view decorator: signed-in users holding one of `roles`; others get 403 (anonymous: log-in)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            from django.contrib.auth.views import redirect_to_login

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasRole(BasePermission):
    """API permission: the view lists `write_roles` (unsafe methods) and `read_roles` (safe ones).

    An empty `read_roles` means any signed-in person may read. A machine account (Integration)
    reaches only views that set `machine_roles_allowed`, whatever the other lists say.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if is_machine(user) and not getattr(view, "machine_roles_allowed", False):
            return False
        if request.method in SAFE_METHODS:
            read_roles: tuple[Role, ...] = getattr(view, "read_roles", ())
            return not read_roles or has_role(user, *read_roles)
        write_roles: tuple[Role, ...] = getattr(view, "write_roles", ())
        return has_role(user, *write_roles)


class SignedInPerson(BasePermission):
    """The API's default permission: any signed-in user, but a machine account (Integration) only
    on views that set `machine_roles_allowed`, as with `HasRole`. Views without their own
    permission classes (the token list and revocation) thus refuse order systems too."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return not is_machine(user) or bool(getattr(view, "machine_roles_allowed", False))
