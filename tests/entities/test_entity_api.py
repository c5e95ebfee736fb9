from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from entities.models import Entity, ListVersion
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]
ENTITIES = "/api/v1/entities/"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Shenzhen Drone Parts Co., Ltd.",
        "source": "el",
        "license_requirement": "For all items subject to the EAR.",
        "license_policy": "presumption_of_denial",
        "programs": ["EAR744"],
        "aliases": ["SZ Drone Parts"],
        "addresses": [{"address": "No. 1 Keji Road", "city": "Shenzhen", "country": "cn"}],
        "reason": "Added by 89 FR 1234",
    }
    data.update(overrides)
    return data


def test_the_list_is_paginated_and_searches_aliases(api_for: ApiFor, sales: User) -> None:
    make_entity("Huawei Technologies Co., Ltd.", aliases=("HUAWEI TECH CO LTD",))
    make_entity("Acme Rocket Works")
    response = api_for(sales).get(ENTITIES, {"q": "huawei tech"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["count"] == 1
    assert set(payload) >= {"count", "next", "previous", "results"}
    entity = payload["results"][0]
    assert entity["name"] == "Huawei Technologies Co., Ltd."
    assert entity["aliases"] == ["HUAWEI TECH CO LTD"]
    assert entity["addresses"] == [
        {"address": "1 Test Road", "city": "", "state": "", "postal_code": "", "country": "CN"}
    ]
    assert entity["is_active"] is True


def test_the_list_filters_like_the_page(api_for: ApiFor, reviewer: User) -> None:
    make_entity("Chinese Entity", country="CN")
    make_entity("Russian Entity", country="RU", source="MEU", license_policy="case_by_case")
    gone = make_entity("Old Entity", country="CN")
    Entity.objects.filter(pk=gone.pk).update(delisted_on="2024-01-01")
    client = api_for(reviewer)

    def names(**params: str) -> list[str]:
        return [e["name"] for e in client.get(ENTITIES, params).json()["results"]]

    assert names(country="RU") == ["Russian Entity"]
    assert names(source="MEU") == ["Russian Entity"]
    assert names(policy="case_by_case") == ["Russian Entity"]
    assert names(type="vessel") == []
    assert names(active="false") == ["Old Entity"]
    assert names(active="true", country="CN") == ["Chinese Entity"]


def test_the_list_query_count_does_not_grow_with_rows(
    api_for: ApiFor, reviewer: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        make_entity(f"Entity {n:02d}", aliases=(f"Alias {n}",))
    client = api_for(reviewer)
    with django_assert_max_num_queries(8):
        assert len(client.get(ENTITIES).json()["results"]) == 30


def test_an_admin_adds_an_entity_as_one_list_version(api_for: ApiFor, compliance_admin: User) -> None:
    response = api_for(compliance_admin).post(ENTITIES, body(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["key"] == "EL:shenzhen drone parts co ltd:CN"
    assert created["source"] == "EL"
    assert created["aliases"] == ["SZ Drone Parts"]
    assert created["addresses"][0]["country"] == "CN"
    assert created["last_version"] == created["first_version"] == ListVersion.current_number()
    version = ListVersion.objects.get(number=created["last_version"])
    assert (version.created_by, version.reason, version.added_count) == (compliance_admin, "Added by 89 FR 1234", 1)
    assert "reason" not in created


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"name": ""}, "name"),
        ({"license_policy": "maybe"}, "license_policy"),
        ({"addresses": [{"country": "XX"}]}, "addresses"),
        ({"start_date": "2024-02-01", "end_date": "2024-01-01"}, "end_date"),
        ({"source": "E L!"}, "source"),
    ],
)
def test_bad_input_is_a_400_with_field_messages_and_changes_nothing(
    overrides: dict[str, Any], field: str, api_for: ApiFor, compliance_admin: User
) -> None:
    response = api_for(compliance_admin).post(ENTITIES, body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Entity.objects.exists()
    assert ListVersion.current_number() == 0


def test_a_reason_is_required_without_one_the_post_fails(api_for: ApiFor, compliance_admin: User) -> None:
    data = body()
    del data["reason"]
    response = api_for(compliance_admin).post(ENTITIES, data, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_duplicate_is_a_400(api_for: ApiFor, compliance_admin: User) -> None:
    client = api_for(compliance_admin)
    client.post(ENTITIES, body(), format="json")
    response = client.post(ENTITIES, body(), format="json")
    assert response.status_code == 400
    assert "already listed" in response.json()["name"][0]
    assert Entity.objects.count() == 1


def test_patch_changes_only_what_is_sent_and_keeps_the_key(api_for: ApiFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works", aliases=("Acme",), entity_number="42")
    response = api_for(compliance_admin).patch(
        f"{ENTITIES}{entity.pk}/",
        {"license_policy": "policy_of_denial", "aliases": ["Acme", "ARW"], "reason": "Tightened by 90 FR 1"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["license_policy"] == "policy_of_denial"
    assert data["aliases"] == ["Acme", "ARW"]
    assert data["entity_number"] == "42"
    assert data["key"] == entity.key
    change = entity.version_changes.get(version__number=data["last_version"])
    assert set(change.changed_fields) == {"license_policy", "aliases"}


def test_patch_without_a_reason_is_refused(api_for: ApiFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    response = api_for(compliance_admin).patch(f"{ENTITIES}{entity.pk}/", {"name": "Other"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    entity.refresh_from_db()
    assert entity.name == "Acme Rocket Works"


def test_patch_that_changes_nothing_is_a_400(api_for: ApiFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    before = ListVersion.current_number()
    response = api_for(compliance_admin).patch(
        f"{ENTITIES}{entity.pk}/", {"name": "Acme Rocket Works", "reason": "check"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Nothing changed."]}
    assert ListVersion.current_number() == before


def test_put_and_delete_are_not_offered(api_for: ApiFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = api_for(compliance_admin)
    assert client.put(f"{ENTITIES}{entity.pk}/", body(), format="json").status_code == 405
    assert client.delete(f"{ENTITIES}{entity.pk}/").status_code == 405
    assert Entity.objects.filter(pk=entity.pk, delisted_on__isnull=True).exists()


def test_delist_needs_a_reason_and_refuses_a_second_time(api_for: ApiFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = api_for(compliance_admin)
    url = f"{ENTITIES}{entity.pk}/delist/"
    assert client.post(url, {}, format="json").status_code == 400
    response = client.post(url, {"reason": "Removed by 90 FR 3", "delisted_on": "2025-03-01"}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["delisted_on"] == "2025-03-01"
    again = client.post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This entity is already delisted."]}


def test_history_says_who_what_when_why(api_for: ApiFor, compliance_admin: User, auditor: User) -> None:
    entity = make_entity("Acme Rocket Works", actor=compliance_admin)
    api_for(compliance_admin).patch(
        f"{ENTITIES}{entity.pk}/",
        {"addresses": [{"address": "2 New Road", "country": "HK"}], "reason": "Moved per 90 FR 4"},
        format="json",
    )
    events = api_for(auditor).get(f"{ENTITIES}{entity.pk}/history/").json()["results"]
    assert [e["kind"] for e in events] == ["changed", "created"]
    latest = events[0]
    assert latest["who"] == "admin"
    assert latest["why"] == "Moved per 90 FR 4"
    assert latest["version"] == ListVersion.current_number()
    assert latest["addresses_added"] == ["2 New Road, HK"]
    assert latest["addresses_removed"] == ["1 Test Road, CN"]
    assert events[1]["why"] == "test fixture"


def test_list_versions_show_counts_and_who_made_them(api_for: ApiFor, compliance_admin: User, sales: User) -> None:
    client = api_for(compliance_admin)
    created = client.post(ENTITIES, body(), format="json").json()
    client.post(f"{ENTITIES}{created['id']}/delist/", {"reason": "Removed"}, format="json")
    versions = api_for(sales).get("/api/v1/list-versions/").json()
    assert versions["count"] == 2
    latest = versions["results"][0]
    assert {k: latest[k] for k in ["kind", "created_by", "reason", "added_count", "removed_count"]} == {
        "kind": "delist",
        "created_by": "admin",
        "reason": "Removed",
        "added_count": 0,
        "removed_count": 1,
    }
    detail = api_for(sales).get(f"/api/v1/list-versions/{latest['number']}/").json()
    assert detail["removed_count"] == 1
    changes = api_for(sales).get(detail["changes_url"]).json()
    assert changes["count"] == 1
    assert changes["results"] == [
        {
            "entity": created["id"],
            "entity_name": "Shenzhen Drone Parts Co., Ltd.",
            "change": "removed",
            "changed_fields": ["delisted_on"],
        }
    ]


def test_an_unknown_id_is_a_404_and_changes_nothing(api_for: ApiFor, compliance_admin: User) -> None:
    client = api_for(compliance_admin)
    assert client.get(f"{ENTITIES}999999/").status_code == 404
    assert client.patch(f"{ENTITIES}999999/", {"name": "x", "reason": "r"}, format="json").status_code == 404
    assert client.post(f"{ENTITIES}999999/delist/", {"reason": "r"}, format="json").status_code == 404
    assert client.get("/api/v1/list-versions/999999/").status_code == 404
    assert ListVersion.current_number() == 0
