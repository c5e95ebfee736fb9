"""An import written in bulk keeps the full audit trail: a history row per row, as a save would."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from entities.importers import import_list
from entities.models import Address, Alias, Entity
from tests.entities.import_helpers import BASE_ROWS, csl_row, write_csl_csv

pytestmark = pytest.mark.django_db


def test_every_row_an_import_creates_has_a_matching_attributed_history_row(
    tmp_path: Path, compliance_admin: User
) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", BASE_ROWS))

    for model in (Entity, Alias, Address):
        rows = list(model.objects.all())  # type: ignore[attr-defined]
        history = list(model.history.all())  # type: ignore[attr-defined]
        assert rows and len(history) == len(rows), model.__name__
        by_id = {h.id: h for h in history}
        for row in rows:
            recorded = by_id[row.pk]
            assert recorded.history_type == "+"
            assert recorded.history_user == compliance_admin
            assert recorded.history_change_reason == "Import of list.csv"
            # The history row holds the row as it was written, JSON columns included.
            for field in row._meta.concrete_fields:
                assert getattr(recorded, field.attname) == getattr(row, field.attname), field.attname


def test_a_changed_record_is_recorded_with_its_new_values_and_removed_aliases(
    tmp_path: Path, compliance_admin: User
) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", BASE_ROWS))
    changed = [
        {**BASE_ROWS[0], "alt_names": "Huawei", "programs": "EAR; NS"},
        *BASE_ROWS[1:],
        csl_row("New Co", addresses="Minsk, BY"),
    ]
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", changed))

    huawei = Entity.objects.get(key="EL:huawei technologies co ltd:CN")
    latest = huawei.history.first()
    assert latest.history_type == "~"
    assert latest.programs == ["EAR", "NS"]
    assert latest.last_version_id == huawei.last_version_id
    removed = Alias.history.get(history_type="-", name="Shenzhen Huawei Technologies")  # type: ignore[attr-defined]
    assert (removed.name, removed.entity_id, removed.history_user) == (
        "Shenzhen Huawei Technologies",
        huawei.pk,
        compliance_admin,
    )
    new_co = Entity.objects.get(name="New Co")
    assert new_co.history.get().history_type == "+"
    assert Address.history.get(entity_id=new_co.pk).country == "BY"  # type: ignore[attr-defined]
