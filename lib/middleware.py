"""Machine accounts (the Integration role) see no page: they hold a token for one API endpoint.

DRF authenticates tokens inside the view, so the API's own permission (`lib.permissions.HasRole`)
confines them there; this middleware covers a machine account signed in with a session, which
would otherwise pass every `login_required` page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from lib.roles import is_machine


def _sign_in_and_out() -> set[str]:
    return {reverse("login"), reverse("logout")}


class MachineAccountsOnlyOnTheApi:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        machine = user is not None and user.is_authenticated and is_machine(user)  # type: ignore[arg-type]
        if machine and not request.path_info.startswith("/api/") and request.path not in _sign_in_and_out():
            raise PermissionDenied("Integration accounts use the API only.")
        return self.get_response(request)
