from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from entities.models import Entity, ListVersion
from entities.services import update_entity
from tests.factories import make_entity, make_record

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Shenzhen Drone Parts Co., Ltd.",
        "source": "EL",
        "source_name": "Entity List",
        "entity_type": "entity",
        "title": "",
        "license_requirement": "For all items subject to the EAR.",
        "license_policy": "presumption_of_denial",
        "license_policy_text": "Presumption of denial.",
        "federal_register_notice": "89 FR 1234, 1/2/2024",
        "start_date": "2024-01-02",
        "end_date": "",
        "programs": "EAR744",
        "remarks": "",
        "aliases": "SZ Drone Parts\nShenzhen Drone",
        "addresses": "No. 1 Keji Road | Shenzhen | CN",
        "reason": "Added by 89 FR 1234",
    }
    data.update(overrides)
    return data


def names_on(response: Any) -> list[str]:
    return [entity.name for entity in response.context["page"].object_list]


def test_the_list_finds_an_entity_by_any_alias_in_any_case(client_for: ClientFor, reviewer: User) -> None:
    make_entity("Huawei Technologies Co., Ltd.", aliases=("HUAWEI TECH CO LTD", "华为技术有限公司"))
    make_entity("Acme Rocket Works")
    client = client_for(reviewer)
    assert names_on(client.get(reverse("entities:list"), {"q": "huawei tech co"})) == ["Huawei Technologies Co., Ltd."]
    assert names_on(client.get(reverse("entities:list"), {"q": "华为"})) == ["Huawei Technologies Co., Ltd."]
    assert names_on(client.get(reverse("entities:list"), {"q": "rocket"})) == ["Acme Rocket Works"]


def test_an_entity_with_several_matching_aliases_is_listed_once(client_for: ClientFor, reviewer: User) -> None:
    make_entity("Huawei Technologies", aliases=("Huawei Tech", "Huawei T."))
    response = client_for(reviewer).get(reverse("entities:list"), {"q": "huawei"})
    assert names_on(response) == ["Huawei Technologies"]


def test_the_list_filters_by_source_type_country_policy_and_status(
    client_for: ClientFor, compliance_admin: User
) -> None:
    make_entity("Chinese Entity", country="CN", source="EL")
    make_entity("Russian Entity", country="RU", source="MEU", license_policy="case_by_case")
    make_entity("A Vessel", country="IR", source="SDN", entity_type="vessel", license_policy="none")
    gone = make_entity("Old Entity", country="CN")
    Entity.objects.filter(pk=gone.pk).update(delisted_on="2024-01-01")
    client = client_for(compliance_admin)
    url = reverse("entities:list")
    assert names_on(client.get(url, {"country": "ru"})) == ["Russian Entity"]
    assert names_on(client.get(url, {"source": "sdn"})) == ["A Vessel"]
    assert names_on(client.get(url, {"type": "vessel"})) == ["A Vessel"]
    assert names_on(client.get(url, {"policy": "case_by_case"})) == ["Russian Entity"]
    assert names_on(client.get(url, {"active": "false"})) == ["Old Entity"]
    assert names_on(client.get(url, {"active": "true", "country": "CN"})) == ["Chinese Entity"]
    assert len(names_on(client.get(url))) == 4


def test_the_list_is_paginated(client_for: ClientFor, reviewer: User) -> None:
    for n in range(55):
        make_entity(f"Entity {n:02d}")
    client = client_for(reviewer)
    first = client.get(reverse("entities:list"), {"q": "entity"})
    second = client.get(reverse("entities:list"), {"q": "entity", "page": "2"})
    assert len(names_on(first)) == 50
    assert len(names_on(second)) == 5
    assert "q=entity&amp;page=2" in first.content.decode()


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_page_query_count_does_not_grow_with_rows(
    rows: int, client_for: ClientFor, reviewer: User, django_assert_max_num_queries: Any
) -> None:
    for n in range(rows):
        make_entity(f"Entity {n:02d}", aliases=(f"Alias {n}", f"Other {n}"))
    client = client_for(reviewer)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("entities:list"), {"q": "entity"})
    assert len(names_on(response)) == rows


def test_a_bad_filter_value_is_explained_not_an_error(client_for: ClientFor, reviewer: User) -> None:
    make_entity("Acme")
    response = client_for(reviewer).get(reverse("entities:list"), {"policy": "bogus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_detail_shows_the_record_aliases_addresses_and_policy(client_for: ClientFor, auditor: User) -> None:
    entity = make_entity(
        "Huawei Technologies Co., Ltd.",
        aliases=("Huawei",),
        federal_register_notice="84 FR 22961, 5/21/2019",
        license_policy_text="Presumption of denial.",
    )
    page = client_for(auditor).get(reverse("entities:detail", args=[entity.pk])).content.decode()
    for text in ["Huawei Technologies Co., Ltd.", "Huawei", "1 Test Road, CN", "Presumption of denial", "84 FR 22961"]:
        assert text in page
    assert "For all items subject to the EAR." in page


def test_the_detail_history_says_who_changed_what_when_why_and_in_which_version(
    client_for: ClientFor, compliance_admin: User, auditor: User
) -> None:
    entity = make_entity("Acme Rocket Works", aliases=("Acme",), actor=compliance_admin)
    record = make_record("Acme Rocket Works", aliases=("Acme", "ARW"), license_policy="policy_of_denial")
    update_entity(actor=compliance_admin, entity=entity, record=record, reason="Tightened by 90 FR 1")
    version = ListVersion.current_number()
    response = client_for(auditor).get(reverse("entities:detail", args=[entity.pk]))
    latest = response.context["timeline"][0]
    assert latest.who == "admin"
    assert latest.why == "Tightened by 90 FR 1"
    assert latest.version == version
    assert latest.aliases_added == ["ARW"]
    assert latest.aliases_removed == []
    assert [(c.field, c.old, c.new) for c in latest.changes] == [
        ("license_policy", "Presumption of denial", "Policy of denial")
    ]
    page = response.content.decode()
    assert "Tightened by 90 FR 1" in page
    assert "Alias added: ARW" in page
    assert f"v{version}" in page
    assert response.context["timeline"][-1].kind == "created"


def test_an_admin_adds_an_entity_with_the_form(client_for: ClientFor, compliance_admin: User) -> None:
    before = ListVersion.current_number()
    response = client_for(compliance_admin).post(reverse("entities:create"), form_data())
    entity = Entity.objects.get(name="Shenzhen Drone Parts Co., Ltd.")
    assert response.status_code == 302
    assert response["Location"] == reverse("entities:detail", args=[entity.pk])
    # Keyed as an import of the Entity List keys the same party (entities.keys).
    assert entity.key == "EL:shenzhen drone parts co ltd:CN" and entity.added_by_hand
    assert [a.name for a in entity.aliases.all()] == ["SZ Drone Parts", "Shenzhen Drone"]
    assert [(a.address, a.city, a.country) for a in entity.addresses.all()] == [("No. 1 Keji Road", "Shenzhen", "CN")]
    assert entity.programs == ["EAR744"]
    assert entity.last_version is not None and entity.last_version.number == before + 1
    created = entity.history.get()  # type: ignore[attr-defined]
    assert created.history_user == compliance_admin
    assert created.history_change_reason == "Added by 89 FR 1234"


def test_the_same_entity_cannot_be_added_twice(client_for: ClientFor, compliance_admin: User) -> None:
    client = client_for(compliance_admin)
    client.post(reverse("entities:create"), form_data())
    response = client.post(reverse("entities:create"), form_data(name="SHENZHEN  drone parts co., ltd."))
    assert response.status_code == 200
    assert "already listed" in response.content.decode()
    assert Entity.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("addresses", "No. 1 Keji Road | Shenzhen | XX", "is not a country code the lists use"),
        ("addresses", "No. 1 Keji Road, Shenzhen, CN", "street | city | country"),
        ("reason", "", "This field is required"),
        ("name", "", "This field is required"),
        ("source", "E L!", "short code"),
        ("end_date", "2020-01-01", "before the start date"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    field: str, value: str, message: str, client_for: ClientFor, compliance_admin: User
) -> None:
    response = client_for(compliance_admin).post(reverse("entities:create"), form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Entity.objects.exists()
    assert ListVersion.current_number() == 0


def test_the_address_line_takes_state_and_postal_code_too(client_for: ClientFor, compliance_admin: User) -> None:
    addresses = "1 Main St | Moscow | Moscow Oblast | 101000 | ru\n | | CN"
    client_for(compliance_admin).post(reverse("entities:create"), form_data(addresses=addresses))
    entity = Entity.objects.get()
    assert [(a.city, a.state, a.postal_code, a.country) for a in entity.addresses.all()] == [
        ("Moscow", "Moscow Oblast", "101000", "RU"),
        ("", "", "", "CN"),
    ]


def test_an_admin_edits_an_entity_and_the_key_stays(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works", aliases=("Acme",), entity_number="42")
    client = client_for(compliance_admin)
    form = client.get(reverse("entities:edit", args=[entity.pk])).context["form"]
    data = {**{k: ("" if v is None else v) for k, v in form.initial.items()}}
    data.update(name="Acme Rocket Works Ltd", aliases="Acme\nARW", reason="Name corrected per 90 FR 2")
    response = client.post(reverse("entities:edit", args=[entity.pk]), data)
    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.name == "Acme Rocket Works Ltd"
    assert entity.key == "test:EL:acme rocket works:CN"
    assert entity.entity_number == "42", "fields the form does not show are kept"
    assert [a.name for a in entity.aliases.all()] == ["Acme", "ARW"]
    change = entity.version_changes.get(version=entity.last_version)
    assert set(change.changed_fields) == {"name", "aliases"}
    assert entity.history.first().history_change_reason == "Name corrected per 90 FR 2"  # type: ignore[attr-defined]


def test_an_edit_that_changes_nothing_is_refused(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    form = client.get(reverse("entities:edit", args=[entity.pk])).context["form"]
    data = {**{k: ("" if v is None else v) for k, v in form.initial.items()}, "reason": "checking"}
    before = ListVersion.current_number()
    response = client.post(reverse("entities:edit", args=[entity.pk]), data)
    assert response.status_code == 200
    assert "Nothing changed." in response.content.decode()
    assert ListVersion.current_number() == before


def test_an_admin_delists_with_a_reason(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    response = client.post(reverse("entities:delist", args=[entity.pk]), {"reason": "Removed by 90 FR 3"})
    assert response.status_code == 302
    entity.refresh_from_db()
    assert not entity.is_active
    assert entity.delisted_reason == "Removed by 90 FR 3"
    assert entity.last_version is not None and entity.last_version.kind == ListVersion.Kind.DELIST


def test_delisting_needs_a_reason(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    response = client_for(compliance_admin).post(reverse("entities:delist", args=[entity.pk]), {"reason": "  "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    entity.refresh_from_db()
    assert entity.is_active


def test_an_already_delisted_entity_is_refused_with_a_clear_message(
    client_for: ClientFor, compliance_admin: User
) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    client.post(reverse("entities:delist", args=[entity.pk]), {"reason": "Removed"})
    before = ListVersion.current_number()
    assert "already delisted" in client.get(reverse("entities:delist", args=[entity.pk])).content.decode()
    response = client.post(reverse("entities:delist", args=[entity.pk]), {"reason": "Again"})
    assert "already delisted" in response.content.decode()
    assert ListVersion.current_number() == before


def test_a_delisted_entity_cannot_be_edited(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    client.post(reverse("entities:delist", args=[entity.pk]), {"reason": "Removed"})
    response = client.post(reverse("entities:edit", args=[entity.pk]), form_data(), follow=True)
    assert "cannot be edited" in response.content.decode()
    entity.refresh_from_db()
    assert entity.name == "Acme Rocket Works"


@pytest.mark.parametrize("role", ["sales", "reviewer", "auditor"])
def test_change_buttons_are_hidden_from_other_roles(
    role: str, request: pytest.FixtureRequest, client_for: ClientFor
) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(request.getfixturevalue(role))
    assert reverse("entities:create") not in client.get(reverse("entities:list")).content.decode()
    detail = client.get(reverse("entities:detail", args=[entity.pk])).content.decode()
    assert reverse("entities:edit", args=[entity.pk]) not in detail
    assert reverse("entities:delist", args=[entity.pk]) not in detail


def test_change_buttons_show_for_compliance_admins(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    assert reverse("entities:create") in client.get(reverse("entities:list")).content.decode()
    detail = client.get(reverse("entities:detail", args=[entity.pk])).content.decode()
    assert reverse("entities:edit", args=[entity.pk]) in detail
    assert reverse("entities:delist", args=[entity.pk]) in detail


def test_every_form_field_has_a_label(client_for: ClientFor, compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    client = client_for(compliance_admin)
    for url in [
        reverse("entities:create"),
        reverse("entities:edit", args=[entity.pk]),
        reverse("entities:delist", args=[entity.pk]),
        reverse("entities:list"),
    ]:
        response = client.get(url)
        page = response.content.decode()
        form = response.context.get("form") or response.context["filter"].form
        for field in form:
            assert f'<label for="{field.id_for_label}"' in page, (url, field.name)
