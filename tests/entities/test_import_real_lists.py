"""The acceptance imports that start from the real 2022 CSL in ../shared/data (skipped when absent).

The 14,160-record list is imported once for this module, in a transaction rolled back at its end;
each test runs in a savepoint inside it, so what one test imports on top is gone for the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from entities.importers import ImportResult, import_list
from entities.models import Entity, ListVersion
from lib.roles import Role
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

CSL_2022 = Path(__file__).resolve().parents[2] / "../shared/data/csl/consolidated-2022-05.csv"

CSL_2022_COUNTS = {
    "SDN": 10026,
    "EL": 2001,
    "DTC": 727,
    "DPL": 462,
    "SSI": 290,
    "UVL": 201,
    "ISN": 163,
    "PLC": 78,
    "MEU": 71,
    "CMIC": 68,
    "CAP": 53,
    "MBS": 17,
    "FSE": 3,
}


@pytest.fixture(scope="module")
def csl_2022(django_db_setup: None, django_db_blocker: Any) -> Iterator[ImportResult]:
    """The result of importing the full 2022 CSL into the empty test database, as list version 1."""
    if not CSL_2022.is_file():
        pytest.skip(reason=f"the 2022 CSL is not present at {CSL_2022}")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield import_list(actor=make_user(Role.COMPLIANCE_ADMIN, username="csl-importer"), path=CSL_2022)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _fingerprint(source_filter: dict[str, object]) -> list[tuple[str, str, object]]:
    return list(
        Entity.objects.filter(**source_filter).order_by("key").values_list("key", "content_hash", "delisted_on")
    )


def test_the_2022_csl_loads_every_record_and_a_reimport_changes_nothing(
    csl_2022: ImportResult, compliance_admin: User
) -> None:
    first = csl_2022

    assert (first.added, first.changed, first.removed, first.unchanged) == (14160, 0, 0, 0)
    assert first.version_number == 1
    assert Entity.objects.count() == 14160
    assert Counter(Entity.objects.values_list("source", flat=True)) == CSL_2022_COUNTS
    assert Entity.objects.filter(source="EL", name__icontains="huawei").count() == 136
    before = _fingerprint({})

    again = import_list(actor=compliance_admin, path=CSL_2022)

    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 14160)
    assert again.version_number is None
    assert ListVersion.objects.count() == 1
    assert _fingerprint({}) == before


def test_the_2026_entity_list_changes_only_entity_list_records(
    csl_2022: ImportResult, shared_data: Path, compliance_admin: User
) -> None:
    others = _fingerprint({"source__in": [s for s in CSL_2022_COUNTS if s != "EL"]})

    result = import_list(actor=compliance_admin, path=shared_data / "entity-list" / "entity-list-2026-07-as-csl.csv")

    assert result.sources == ["EL"]
    # The 2026 file has 3,409 records; every one is either new or an update of a 2022 record.
    assert result.added + result.changed + result.unchanged == 3409
    assert result.changed > 1000  # matched by name and country despite the missing _id
    assert result.removed == 2001 - result.changed - result.unchanged
    version = ListVersion.objects.get(number=result.version_number or 0)
    assert (version.added_count, version.changed_count, version.removed_count) == (
        result.added,
        result.changed,
        result.removed,
    )
    assert not version.changes.exclude(entity__source="EL").exists()
    assert Entity.objects.active().filter(source="EL").count() == 3409
    assert _fingerprint({"source__in": [s for s in CSL_2022_COUNTS if s != "EL"]}) == others
    # A changed record is the 2022 row updated in place, so its history and past hits carry over.
    updated = Entity.objects.filter(version_changes__version=version, version_changes__change="changed")
    assert updated.count() == result.changed
    assert set(updated.values_list("first_version__number", flat=True)) == {1}
    assert Entity.objects.active().filter(key="EL:huawei technologies co ltd:CN").exists()


def test_an_ofac_import_updates_the_sdn_records_a_csl_import_loaded(
    csl_2022: ImportResult, shared_data: Path, compliance_admin: User
) -> None:
    others = _fingerprint({"source__in": [s for s in CSL_2022_COUNTS if s != "SDN"]})

    result = import_list(actor=compliance_admin, path=shared_data / "ofac")

    assert result.added + result.changed + result.unchanged == 8976
    assert result.changed > 8000  # the same SDN entities, matched by OFAC entity number
    assert Entity.objects.active().filter(source="SDN").count() == 8976
    assert _fingerprint({"source__in": [s for s in CSL_2022_COUNTS if s != "SDN"]}) == others
