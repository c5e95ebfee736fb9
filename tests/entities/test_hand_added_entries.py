"""Entries added by hand and the official files: merged when the file carries them, kept (and
marked) when it does not; never duplicated, never delisted by an import alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from entities.importers import import_list
from entities.models import Entity, ListVersionChange
from entities.records import AddressRecord, EntityRecord
from entities.services import create_entity
from tests.entities.import_helpers import EL, SDN, csl_row, write_csl_csv

pytestmark = pytest.mark.django_db


def hand_added(admin: User, name: str, *, source: str = "EL", country: str = "CN") -> Entity:
    """As the entry form would add it, from a Federal Register notice ahead of the next file."""
    record = EntityRecord(
        key="",
        source=source,
        name=name,
        license_policy="presumption_of_denial",
        federal_register_notice="89 FR 1234",
        addresses=(AddressRecord(address="Shenzhen", country=country),),
    )
    return create_entity(actor=admin, record=record, reason="89 FR 1234, published 2024-03-01")


def el_file(tmp_path: Path, *names: str) -> Path:
    rows = [csl_row(name, addresses="Shenzhen, CN", license_policy="Presumption of denial.") for name in names]
    return write_csl_csv(tmp_path / "el.csv", rows)


def test_an_import_that_carries_a_hand_added_entry_merges_into_it(tmp_path: Path, compliance_admin: User) -> None:
    entity = hand_added(compliance_admin, "Shenzhen Quantum Optics Co., Ltd.")
    assert entity.added_by_hand
    # The official file spells it its own way.
    result = import_list(actor=compliance_admin, path=el_file(tmp_path, "SHENZHEN QUANTUM OPTICS CO LTD", "Other Co"))

    assert Entity.objects.filter(name__icontains="quantum optics").count() == 1, "no duplicate"
    entity.refresh_from_db()
    assert entity.name == "SHENZHEN QUANTUM OPTICS CO LTD" and entity.is_active
    assert not entity.added_by_hand, "it is the official entry now"
    change = ListVersionChange.objects.get(version__number=result.version_number, entity=entity)
    assert change.change == ListVersionChange.Change.CHANGED
    # Its history keeps the hand addition and the import that merged into it.
    reasons = list(entity.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[0] == "89 FR 1234, published 2024-03-01"
    assert reasons[-1] == "Import of el.csv"


def test_an_import_that_does_not_carry_it_keeps_it_listed_and_marks_it(
    tmp_path: Path, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    entity = hand_added(compliance_admin, "Shenzhen Quantum Optics Co., Ltd.")
    import_list(actor=compliance_admin, path=el_file(tmp_path, "Other Co", "Third Co"))
    later = import_list(actor=compliance_admin, path=el_file(tmp_path, "Other Co"))

    entity.refresh_from_db()
    assert entity.is_active, "nothing is delisted without a person or an official file saying so"
    assert entity.added_by_hand
    assert entity.not_in_source_since is not None
    first_missing = entity.not_in_source_since.number
    assert first_missing < (later.version_number or 0), "marked as of the first import that left it out"
    assert Entity.objects.get(name="Third Co").delisted_on is not None, "official entries still leave the list"
    assert not ListVersionChange.objects.filter(entity=entity, change=ListVersionChange.Change.REMOVED).exists()
    page = client_for(compliance_admin).get(reverse("entities:detail", args=[entity.pk])).content.decode()
    assert f"Not in the official list as of list version {first_missing}" in page
    assert "it stays listed and screened until an admin delists it" in page


def test_a_dry_run_says_which_hand_added_entries_it_would_merge_and_which_it_leaves(
    tmp_path: Path, compliance_admin: User
) -> None:
    hand_added(compliance_admin, "Shenzhen Quantum Optics Co., Ltd.")
    hand_added(compliance_admin, "Guangzhou Laser Works")
    result = import_list(actor=compliance_admin, path=el_file(tmp_path, "Shenzhen Quantum Optics Co Ltd"), dry_run=True)
    assert "Shenzhen Quantum Optics Co Ltd (added by hand; now in the official list)" in result.changed_names
    assert result.not_carried_names == ["Guangzhou Laser Works"]
    assert Entity.objects.get(name="Guangzhou Laser Works").not_in_source_since is None, "a dry run writes nothing"


def test_a_numbered_source_finds_a_hand_added_entry_by_name_and_country(tmp_path: Path, compliance_admin: User) -> None:
    entity = hand_added(compliance_admin, "ABBAS, Rim", source="SDN", country="SY")
    rows = [csl_row("ABBAS, Rim", source=SDN, _id="21944", entity_number="21944", type="Individual", addresses="SY")]
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "sdn.csv", rows))
    entity.refresh_from_db()
    assert Entity.objects.filter(source="SDN").count() == 1
    assert entity.key == "SDN:21944" and not entity.added_by_hand


def test_an_entry_added_in_the_api_is_keyed_as_an_import_would_key_it(
    api_for: Callable[[User], APIClient], compliance_admin: User, tmp_path: Path
) -> None:
    response = api_for(compliance_admin).post(
        reverse("entity-list"),
        {
            "source": "EL",
            "name": "Acme  Rocket-Works",
            "addresses": [{"address": "Shenzhen", "country": "CN"}],
            "reason": "89 FR 1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    entity = Entity.objects.get()
    assert entity.key == "EL:acme rocket works:CN" and entity.added_by_hand
    rows = [csl_row("ACME ROCKET WORKS", source=EL, addresses="Shenzhen, CN")]
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "el.csv", rows))
    assert Entity.objects.count() == 1
