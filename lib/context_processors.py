"""Navigation built from what the signed-in user's roles allow."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from lib.roles import Role, roles_of

ALL = frozenset(Role)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[Role]


# One table: each entry appears for the roles listed. Pages still enforce access themselves;
# hiding a link is convenience, not security.
NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Dashboard", "dashboard", ALL),
    NavItem("My requests", "licensing:mine", frozenset({Role.SALES})),
    NavItem("New request", "licensing:create", frozenset({Role.SALES})),
    NavItem("Products", "licensing:products", ALL),
    NavItem("Address book", "licensing:address_book", frozenset({Role.SALES, Role.COMPLIANCE_ADMIN, Role.AUDITOR})),
    NavItem("Review queue", "licensing:queue", frozenset({Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN})),
    NavItem("Screen a name", "compliance:screen", ALL),
    NavItem("Batch screening", "compliance:batch", ALL),
    NavItem("Restricted list", "entities:list", ALL),
    NavItem("List versions", "entities:versions", ALL),
    NavItem("Import list", "entities:import", frozenset({Role.COMPLIANCE_ADMIN})),
    NavItem(
        "Remembered clearances",
        "licensing:clearances",
        frozenset({Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN}),
    ),
    NavItem("Re-screens", "compliance:rescreens", frozenset({Role.COMPLIANCE_ADMIN, Role.AUDITOR})),
    NavItem("Settings", "compliance:settings", frozenset({Role.COMPLIANCE_ADMIN})),
    NavItem(
        "Sign-off rules",
        "licensing:sign_off_rules",
        frozenset({Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN}),
    ),
)


def navigation(request: HttpRequest) -> dict[str, object]:
    roles = roles_of(getattr(request, "user", None))
    items: list[dict[str, str]] = []
    for item in NAVIGATION:
        if not roles & item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            # A page not built yet (or switched off) simply does not show.
            continue
        items.append({"label": item.label, "url": url, "active": str(request.path.startswith(url) and url != "/")})
    return {"nav_items": items, "user_roles": sorted(role.value for role in roles)}
