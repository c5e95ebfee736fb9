"""The roles of Clearance, held as auth groups (created by lib's migrations 0001 and 0003).

Four are people; Integration is a machine: an order or shipping system holding an API token that
may call the export check and nothing else (`lib.permissions`, `lib.middleware`).
"""

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
    INTEGRATION = "Integration"


# Roles whose holders are systems, not people: they reach only views that name them.
MACHINE_ROLES = frozenset({Role.INTEGRATION})


def is_machine(user: User | AnonymousUser | None) -> bool:
    """Whether the user holds a machine role: such an account is confined to the views that allow it."""
    return bool(roles_of(user) & MACHINE_ROLES)


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
