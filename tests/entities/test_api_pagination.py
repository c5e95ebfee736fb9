"""A full import's changes and a long-lived entity's history come a page at a time over the API."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from entities.importers import import_list
from entities.models import Entity
from entities.records import AddressRecord
from entities.serializers import HistoryEventSerializer
from entities.services import record_from_entity, update_entity
from entities.timeline import EntityTimeline, entity_timeline
from tests.entities.import_helpers import csl_row, write_csl_csv
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]
PAGE_SIZE = 50  # REST_FRAMEWORK["PAGE_SIZE"]


def import_companies(tmp_path: Path, actor: User, names: list[str]) -> int:
    rows = [csl_row(name, addresses="Beijing, CN") for name in names]
    result = import_list(actor=actor, path=write_csl_csv(tmp_path / "list.csv", rows))
    assert result.version_number is not None
    return result.version_number


def every_page(client: APIClient, url: str) -> tuple[list[dict[str, Any]], list[int]]:
    """Follow `next` to the end: every result, and the size of each page."""
    results: list[dict[str, Any]] = []
    sizes: list[int] = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        sizes.append(len(body["results"]))
        next_url = body["next"]
    return results, sizes


def edit(entity: Entity, actor: User, reason: str, **changes: Any) -> Entity:
    record = dataclasses.replace(record_from_entity(entity), **changes)
    return update_entity(actor=actor, entity=entity, record=record, reason=reason)


def test_a_full_imports_changes_come_a_page_at_a_time(
    tmp_path: Path, compliance_admin: User, sales: User, api_for: ApiFor
) -> None:
    names = [f"Company {i:03}" for i in range(120)]
    number = import_companies(tmp_path, compliance_admin, names)
    client = api_for(sales)

    detail = client.get(f"/api/v1/list-versions/{number}/").json()
    assert detail["added_count"] == 120
    assert "changes" not in detail, "the summary no longer carries every change"
    first = client.get(detail["changes_url"]).json()
    results, sizes = every_page(client, detail["changes_url"])

    assert first["count"] == 120
    assert sizes == [PAGE_SIZE, PAGE_SIZE, 20]
    assert sorted(change["entity_name"] for change in results) == names
    assert {change["change"] for change in results} == {"added"}


def test_a_versions_changes_filter_by_kind_and_refuse_an_unknown_kind(
    tmp_path: Path, compliance_admin: User, auditor: User, api_for: ApiFor
) -> None:
    import_companies(tmp_path, compliance_admin, ["Alpha Works", "Beta Works", "Gamma Works"])
    # The next full import drops Gamma and adds Delta.
    number = import_companies(tmp_path, compliance_admin, ["Alpha Works", "Beta Works", "Delta Works"])
    client = api_for(auditor)
    url = f"/api/v1/list-versions/{number}/changes/"

    removed = client.get(url, {"change": "removed"}).json()
    added = client.get(url, {"change": "added"}).json()
    bogus = client.get(url, {"change": "deleted"})

    assert [c["entity_name"] for c in removed["results"]] == ["Gamma Works"]
    assert [c["entity_name"] for c in added["results"]] == ["Delta Works"]
    assert bogus.status_code == 400
    assert "'deleted' is not one of added, changed, removed." in bogus.json()["change"][0]


def test_an_unknown_versions_changes_are_a_404(sales: User, api_for: ApiFor) -> None:
    assert api_for(sales).get("/api/v1/list-versions/999999/changes/").status_code == 404


def _edited_many_times(actor: User, edits: int) -> Entity:
    """An entity edited again and again, aliases and addresses coming and going on the way."""
    entity = make_entity("Acme Rocket Works", actor=actor, aliases=("Acme",))
    for i in range(edits):
        changes: dict[str, Any] = {"remarks": f"remark {i}"}
        if i % 3 == 0:
            changes["aliases"] = ("Acme", f"Acme {i}")
        if i % 4 == 1:
            changes["addresses"] = (AddressRecord(address=f"{i} New Road", country="HK"),)
        entity = edit(entity, actor, f"edit {i}", **changes)
    return entity


def test_an_entitys_history_comes_a_page_at_a_time_and_matches_the_whole_timeline(
    compliance_admin: User, auditor: User, api_for: ApiFor
) -> None:
    entity = _edited_many_times(compliance_admin, 54)  # 55 events: a full page and 5

    results, sizes = every_page(api_for(auditor), f"/api/v1/entities/{entity.pk}/history/")

    assert sizes == [PAGE_SIZE, 5]
    assert results == HistoryEventSerializer(entity_timeline(entity), many=True).data
    assert [event["why"] for event in results[:2]] == ["edit 53", "edit 52"]
    assert results[-1]["kind"] == "created"


@pytest.mark.parametrize(("start", "stop"), [(0, 3), (1, 4), (2, 7), (3, 4), (5, None), (8, 20), (0, None), (4, 4)])
def test_any_window_of_the_timeline_reads_as_that_slice_of_the_whole(
    compliance_admin: User, start: int, stop: int | None
) -> None:
    # Windows that cut between an edit and the alias and address rows it rewrote must still
    # attribute each added or removed alias and address to the right event.
    entity = _edited_many_times(compliance_admin, 8)
    whole = entity_timeline(entity)
    assert len(whole) == 9
    assert any(event.aliases_added for event in whole) and any(event.addresses_removed for event in whole)

    assert entity_timeline(entity, start=start, stop=stop) == whole[start:stop]
    assert EntityTimeline(entity)[start:stop] == whole[start:stop]
    assert len(EntityTimeline(entity)) == 9
