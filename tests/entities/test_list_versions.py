from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from entities.models import ListVersion, ListVersionChange
from entities.services import list_version_recorded
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def add_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Acme Rocket Works",
        "source": "EL",
        "entity_type": "entity",
        "license_policy": "presumption_of_denial",
        "addresses": "1 Test Road | Wuhan | CN",
        "reason": "Added by 89 FR 1",
    }
    data.update(overrides)
    return data


def test_each_edit_in_the_browser_is_one_numbered_version_with_counts_and_actor(
    client_for: ClientFor, compliance_admin: User
) -> None:
    client = client_for(compliance_admin)
    recorded: list[int] = []

    def on_version(sender: Any, version: ListVersion, **kwargs: Any) -> None:
        recorded.append(version.number)

    list_version_recorded.connect(on_version)
    try:
        client.post(reverse("entities:create"), add_form())
        entity_id = ListVersionChange.objects.get().entity_id
        edit = {**add_form(), "name": "Acme Rocket Works Ltd", "reason": "Renamed by 89 FR 2"}
        client.post(reverse("entities:edit", args=[entity_id]), edit)
        client.post(reverse("entities:delist", args=[entity_id]), {"reason": "Removed by 89 FR 3"})
    finally:
        list_version_recorded.disconnect(on_version)

    versions = list(ListVersion.objects.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3] == recorded
    assert [v.kind for v in versions] == ["create", "edit", "delist"]
    assert [(v.added_count, v.changed_count, v.removed_count) for v in versions] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    assert {v.created_by for v in versions} == {compliance_admin}
    assert [v.reason for v in versions] == ["Added by 89 FR 1", "Renamed by 89 FR 2", "Removed by 89 FR 3"]
    changes = ListVersionChange.objects.order_by("version__number")
    assert [(c.change, c.changed_fields) for c in changes] == [
        ("added", []),
        ("changed", ["name"]),
        ("removed", ["delisted_on"]),
    ]


def test_the_versions_page_lists_versions_with_counts_and_who_made_them(
    client_for: ClientFor, compliance_admin: User, sales: User
) -> None:
    client_for(compliance_admin).post(reverse("entities:create"), add_form())
    make_entity("Fixture Entity")
    response = client_for(sales).get(reverse("entities:versions"))
    page = response.content.decode()
    assert [v.number for v in response.context["page"].object_list] == [2, 1]
    assert "admin" in page
    assert "system" in page, "a version without a user says so"
    assert "Added by 89 FR 1" in page


def test_the_version_page_shows_what_it_changed_who_made_it_and_why(
    client_for: ClientFor, compliance_admin: User, reviewer: User
) -> None:
    client_for(compliance_admin).post(reverse("entities:create"), add_form())
    change = ListVersionChange.objects.select_related("version", "entity").get()
    response = client_for(reviewer).get(reverse("entities:version_detail", args=[change.version.number]))
    page = response.content.decode()
    assert f'href="{reverse("entities:detail", args=[change.entity_id])}"><bdi>Acme Rocket Works</bdi></a>' in page
    assert "admin" in page
    assert "Added by 89 FR 1" in page
    assert "Entity added" in page


def test_the_version_page_filters_changes_by_kind(client_for: ClientFor, reviewer: User) -> None:
    make_entity("Acme")
    version = ListVersion.objects.get()
    client = client_for(reviewer)
    url = reverse("entities:version_detail", args=[version.number])
    assert len(client.get(url, {"change": "added"}).context["page"].object_list) == 1
    assert len(client.get(url, {"change": "removed"}).context["page"].object_list) == 0


def test_an_unknown_version_number_is_a_404(client_for: ClientFor, reviewer: User) -> None:
    assert client_for(reviewer).get(reverse("entities:version_detail", args=[404])).status_code == 404
