"""The four roles of Clearance, held as auth groups (created by lib's migration 0001)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Role(StrEnum):
    SALES = "Sales"
    REVIEWER = "Reviewer"
    COMPLIANCE_ADMIN = "Compliance admin"
    AUDITOR = "Auditor"


def roles_of(user: User | AnonymousUser | None) -> frozenset[Role]:
    """The roles a user holds; cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_clearance_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._clearance_roles = cached  # type: ignore[union-attr,attr-defined]
    return cached


def has_role(user: User | AnonymousUser | None, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))
