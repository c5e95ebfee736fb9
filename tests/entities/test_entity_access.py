"""Every list page and endpoint, for every role and for anonymous visitors: who may, who may not.

Reading the list is open to anyone signed in; changing it is for Compliance admins only, and a
refused change leaves the list exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from entities.models import Entity, ListVersion
from lib.roles import Role
from tests.factories import make_entity, make_user

pytestmark = pytest.mark.django_db

ROLES = ["sales", "reviewer", "auditor", "compliance_admin", "no_role"]
NOT_ADMIN = ["sales", "reviewer", "auditor", "no_role"]


@pytest.fixture
def no_role(db: None) -> User:
    return make_user(None, username="norole")


@pytest.fixture
def entity(db: None) -> Entity:
    return make_entity("Acme Rocket Works")


def snapshot() -> tuple[Any, ...]:
    return (
        ListVersion.current_number(),
        list(Entity.objects.values_list("name", "delisted_on", "license_policy").order_by("pk")),
    )


def page_client(role: str | None, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role:
        client.force_login(request.getfixturevalue(role))
    return client


def api_client(role: str | None, request: pytest.FixtureRequest, api_for: Callable[[User], APIClient]) -> APIClient:
    return api_for(request.getfixturevalue(role)) if role else APIClient()


READ_PAGES: list[tuple[str, Callable[[Entity], list[int]]]] = [
    ("entities:list", lambda e: []),
    ("entities:detail", lambda e: [e.pk]),
    ("entities:versions", lambda e: []),
    ("entities:version_detail", lambda e: [e.last_version.number]),  # type: ignore[union-attr]
]
WRITE_PAGES: list[tuple[str, Callable[[Entity], list[int]], dict[str, str]]] = [
    ("entities:create", lambda e: [], {"name": "Forged", "source": "EL", "license_policy": "none", "reason": "x"}),
    (
        "entities:edit",
        lambda e: [e.pk],
        {"name": "Forged", "source": "EL", "entity_type": "entity", "license_policy": "none", "reason": "x"},
    ),
    ("entities:delist", lambda e: [e.pk], {"reason": "forged"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url_name", "args"), READ_PAGES)
def test_reading_pages_are_open_to_everyone_signed_in(
    role: str, url_name: str, args: Callable[[Entity], list[int]], entity: Entity, request: pytest.FixtureRequest
) -> None:
    assert page_client(role, request).get(reverse(url_name, args=args(entity))).status_code == 200


@pytest.mark.parametrize(("url_name", "args"), [*READ_PAGES, *((u, a) for u, a, _ in WRITE_PAGES)])
def test_anonymous_visitors_are_sent_to_log_in(
    url_name: str, args: Callable[[Entity], list[int]], entity: Entity
) -> None:
    response = Client().get(reverse(url_name, args=args(entity)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("url_name", "args", "data"), WRITE_PAGES)
def test_changing_pages_open_for_compliance_admins(
    url_name: str,
    args: Callable[[Entity], list[int]],
    data: dict[str, str],
    entity: Entity,
    client_for: Any,
    compliance_admin: User,
) -> None:
    assert client_for(compliance_admin).get(reverse(url_name, args=args(entity))).status_code == 200


@pytest.mark.parametrize("role", [*NOT_ADMIN, None])
@pytest.mark.parametrize(("url_name", "args", "data"), WRITE_PAGES)
def test_changing_pages_refuse_everyone_else_and_change_nothing(
    role: str | None,
    url_name: str,
    args: Callable[[Entity], list[int]],
    data: dict[str, str],
    entity: Entity,
    request: pytest.FixtureRequest,
) -> None:
    client = page_client(role, request)
    before = snapshot()
    url = reverse(url_name, args=args(entity))
    expected = 403 if role else 302
    assert client.get(url).status_code == expected
    assert client.post(url, data).status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize(("url_name", "data"), [(u, d) for u, _, d in WRITE_PAGES if u != "entities:create"])
def test_a_forged_id_is_a_404_for_admins_and_changes_nothing(
    url_name: str, data: dict[str, str], entity: Entity, client_for: Any, compliance_admin: User
) -> None:
    before = snapshot()
    client = client_for(compliance_admin)
    assert client.get(reverse(url_name, args=[entity.pk + 1000])).status_code == 404
    assert client.post(reverse(url_name, args=[entity.pk + 1000]), data).status_code == 404
    assert client.get(reverse("entities:detail", args=[entity.pk + 1000])).status_code == 404
    assert snapshot() == before


READ_ENDPOINTS: list[Callable[[Entity], str]] = [
    lambda e: "/api/v1/entities/",
    lambda e: f"/api/v1/entities/{e.pk}/",
    lambda e: f"/api/v1/entities/{e.pk}/history/",
    lambda e: "/api/v1/list-versions/",
    lambda e: f"/api/v1/list-versions/{e.last_version.number}/",  # type: ignore[union-attr]
    lambda e: f"/api/v1/list-versions/{e.last_version.number}/changes/",  # type: ignore[union-attr]
]
READ_IDS = ["entities", "entity", "history", "list-versions", "list-version", "list-version-changes"]
WRITE_ENDPOINTS: list[tuple[str, Callable[[Entity], str], dict[str, Any], int]] = [
    (
        "post",
        lambda e: "/api/v1/entities/",
        {"name": "Forged", "source": "EL", "reason": "forged", "addresses": [{"country": "CN"}]},
        201,
    ),
    ("patch", lambda e: f"/api/v1/entities/{e.pk}/", {"name": "Forged", "reason": "forged"}, 200),
    ("post", lambda e: f"/api/v1/entities/{e.pk}/delist/", {"reason": "forged"}, 200),
]
WRITE_IDS = ["create", "patch", "delist"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READ_ENDPOINTS, ids=READ_IDS)
def test_reading_endpoints_are_open_to_everyone_signed_in(
    role: str, url: Callable[[Entity], str], entity: Entity, request: pytest.FixtureRequest, api_for: Any
) -> None:
    assert api_client(role, request, api_for).get(url(entity)).status_code == 200


@pytest.mark.parametrize("url", READ_ENDPOINTS, ids=READ_IDS)
def test_reading_endpoints_refuse_anonymous_callers(url: Callable[[Entity], str], entity: Entity) -> None:
    assert APIClient().get(url(entity)).status_code == 401


@pytest.mark.parametrize(("method", "url", "data", "status"), WRITE_ENDPOINTS, ids=WRITE_IDS)
def test_writing_endpoints_work_for_compliance_admins(
    method: str,
    url: Callable[[Entity], str],
    data: dict[str, Any],
    status: int,
    entity: Entity,
    api_for: Any,
    compliance_admin: User,
) -> None:
    before = ListVersion.current_number()
    response = getattr(api_for(compliance_admin), method)(url(entity), data, format="json")
    assert response.status_code == status, response.json()
    assert ListVersion.current_number() == before + 1


@pytest.mark.parametrize("role", [*NOT_ADMIN, None])
@pytest.mark.parametrize(("method", "url", "data", "status"), WRITE_ENDPOINTS, ids=WRITE_IDS)
def test_writing_endpoints_refuse_everyone_else_and_change_nothing(
    role: str | None,
    method: str,
    url: Callable[[Entity], str],
    data: dict[str, Any],
    status: int,
    entity: Entity,
    request: pytest.FixtureRequest,
    api_for: Any,
) -> None:
    before = snapshot()
    response = getattr(api_client(role, request, api_for), method)(url(entity), data, format="json")
    assert response.status_code == (403 if role else 401)
    assert snapshot() == before


def test_session_auth_works_for_the_api_too(entity: Entity) -> None:
    client = APIClient()
    client.force_login(make_user(Role.AUDITOR))
    assert client.get("/api/v1/entities/").status_code == 200
