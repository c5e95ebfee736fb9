"""Importing list files: versions, true deltas, authority per source, dry runs, attribution."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from entities.importers import import_list
from entities.models import Entity, LicensePolicy, ListVersion, ListVersionChange
from tests.entities.import_helpers import BASE_ROWS, EL, csl_row, write_csl_csv, write_csl_json
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


def test_a_first_import_adds_every_record_as_one_attributed_version(tmp_path: Path, compliance_admin: User) -> None:
    result = import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", BASE_ROWS))

    assert (result.added, result.changed, result.removed, result.unchanged) == (4, 0, 0, 0)
    assert result.sources == ["DPL", "EL", "SDN"]
    version = ListVersion.objects.get()
    assert version.number == result.version_number
    assert version.kind == ListVersion.Kind.IMPORT
    assert version.created_by == compliance_admin
    assert version.source_file == "list.csv"
    assert version.added_count == 4
    assert version.changes.filter(change=ListVersionChange.Change.ADDED).count() == 4
    huawei = Entity.objects.get(key="EL:huawei technologies co ltd:CN")
    assert huawei.history.get().history_user == compliance_admin
    assert huawei.history.get().history_change_reason == "Import of list.csv"
    assert huawei.first_version == version


def test_it_parses_policy_addresses_aliases_dates_and_types(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", BASE_ROWS))

    huawei = Entity.objects.get(name="Huawei Technologies Co., Ltd.")
    assert huawei.source == "EL"
    assert huawei.source_name == EL
    assert huawei.license_policy == LicensePolicy.PRESUMPTION_OF_DENIAL
    assert huawei.license_policy_text == "Presumption of denial."
    assert str(huawei.start_date) == "2019-05-21"
    assert [a.name for a in huawei.aliases.all()] == ["Huawei", "Shenzhen Huawei Technologies"]
    assert [(a.address, a.country) for a in huawei.addresses.all()] == [
        ("Bantian, Longgang District, Shenzhen, CN", "CN"),
        ("Tsim Sha Tsui, Kowloon, HK", "HK"),
    ]
    assert Entity.objects.get(name="Rostec State Corporation").license_policy == LicensePolicy.POLICY_OF_DENIAL
    abbas = Entity.objects.get(key="SDN:21944")
    assert abbas.entity_type == "individual"
    assert abbas.programs == ["SYRIA"]
    assert abbas.dates_of_birth == ["1973-03-25"]
    assert abbas.countries == ["SY"]


def test_reimporting_the_same_file_records_no_version(tmp_path: Path, compliance_admin: User) -> None:
    path = write_csl_csv(tmp_path / "list.csv", BASE_ROWS)
    import_list(actor=compliance_admin, path=path)

    again = import_list(actor=compliance_admin, path=path)

    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 4)
    assert again.version_number is None
    assert ListVersion.objects.count() == 1
    assert "no changes, no new list version" in again.summary()


def test_a_newer_file_yields_true_added_changed_and_removed(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v1.csv", BASE_ROWS))
    rows = [dict(r) for r in BASE_ROWS if r["name"] != "Rostec State Corporation"]
    rows[0]["alt_names"] = "Huawei"
    rows.append(csl_row("HiSilicon Technologies Co., Ltd.", addresses="Shenzhen, CN"))

    result = import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v2.csv", rows))

    assert (result.added, result.changed, result.removed, result.unchanged) == (1, 1, 1, 2)
    version = ListVersion.objects.get(number=result.version_number or 0)
    changes = {c.entity.name: (c.change, c.changed_fields) for c in version.changes.select_related("entity")}
    assert changes == {
        "HiSilicon Technologies Co., Ltd.": ("added", []),
        "Huawei Technologies Co., Ltd.": ("changed", ["aliases"]),
        "Rostec State Corporation": ("removed", ["delisted_on"]),
    }
    huawei = Entity.objects.get(name="Huawei Technologies Co., Ltd.")
    assert [a.name for a in huawei.aliases.all()] == ["Huawei"]
    assert huawei.history.first().history_type == "~"
    # The dropped alias leaves a history row saying who removed it and why.
    removed_alias = huawei.aliases.model.history.get(history_type="-", name="Shenzhen Huawei Technologies")
    assert removed_alias.history_user == compliance_admin


def test_missing_records_are_delisted_not_deleted(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v1.csv", BASE_ROWS))
    rows = [r for r in BASE_ROWS if r["name"] != "Rostec State Corporation"]

    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v2.csv", rows))

    rostec = Entity.objects.get(name="Rostec State Corporation")
    assert rostec.delisted_on is not None
    assert rostec.delisted_reason == "Not in import of v2.csv"
    assert rostec.history.first().history_user == compliance_admin
    assert Entity.objects.count() == 4


def test_an_import_leaves_other_source_lists_untouched(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "all.csv", BASE_ROWS))
    el_only = [csl_row("HiSilicon Technologies Co., Ltd.", addresses="Shenzhen, CN")]

    result = import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "el.csv", el_only))

    assert result.sources == ["EL"]
    assert (result.added, result.removed) == (1, 2)
    assert Entity.objects.active().filter(source="SDN").count() == 1
    assert Entity.objects.active().filter(source="DPL").count() == 1
    assert Entity.objects.delisted().filter(source="EL").count() == 2


def test_a_record_back_in_the_file_is_relisted(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v1.csv", BASE_ROWS))
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v2.csv", BASE_ROWS[1:]))

    result = import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v3.csv", BASE_ROWS))

    assert result.added == 1
    huawei = Entity.objects.get(name="Huawei Technologies Co., Ltd.")
    assert huawei.delisted_on is None
    assert huawei.version_changes.get(version__number=result.version_number or 0).changed_fields == ["delisted_on"]


def test_a_dry_run_reports_the_diff_and_writes_nothing(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "v1.csv", BASE_ROWS))
    rows = [dict(r) for r in BASE_ROWS if r["name"] != "Rostec State Corporation"]
    rows[0]["license_policy"] = "Case-by-case review"
    rows.append(csl_row("HiSilicon Technologies Co., Ltd.", addresses="Shenzhen, CN"))
    path = write_csl_csv(tmp_path / "v2.csv", rows)

    result = import_list(actor=compliance_admin, path=path, dry_run=True)

    assert (result.added, result.changed, result.removed) == (1, 1, 1)
    assert result.added_names == ["HiSilicon Technologies Co., Ltd."]
    assert result.changed_names == ["Huawei Technologies Co., Ltd.: license_policy, license_policy_text"]
    assert result.removed_names == ["Rostec State Corporation"]
    assert ListVersion.objects.count() == 1
    assert Entity.objects.active().count() == 4
    assert Entity.objects.get(name="Huawei Technologies Co., Ltd.").license_policy == "presumption_of_denial"


def test_repeated_keys_in_one_file_are_numbered_and_reported(tmp_path: Path, compliance_admin: User) -> None:
    rows = [csl_row("Ann Teck Tong", addresses="Puchong, MY"), csl_row("Ann Teck Tong", addresses="Kuala Lumpur, MY")]

    result = import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "dup.csv", rows))

    assert sorted(Entity.objects.values_list("key", flat=True)) == [
        "EL:ann teck tong:MY",
        "EL:ann teck tong:MY#2",
    ]
    assert result.duplicates == ["EL:ann teck tong:MY (lines 2, 3)"]
    again = import_list(actor=compliance_admin, path=tmp_path / "dup.csv")
    assert again.unchanged == 2


def test_csl_json_imports_the_same_records_as_csv(tmp_path: Path, compliance_admin: User) -> None:
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", BASE_ROWS))
    results = []
    for row in BASE_ROWS:
        item: dict[str, object] = dict(row)
        for column in ("programs", "alt_names", "dates_of_birth", "addresses"):
            item[column] = [part.strip() for part in row[column].split(";") if part.strip()]
        results.append(item)
    results[0]["alt_names"] = ["Huawei", "Shenzhen Huawei Technologies"]

    result = import_list(actor=compliance_admin, path=write_csl_json(tmp_path / "list.json", results))

    assert result.fmt == "csl-json"
    assert (result.added, result.changed, result.removed, result.unchanged) == (0, 0, 0, 4)


def test_json_addresses_may_be_objects(tmp_path: Path, compliance_admin: User) -> None:
    item = {
        "source": EL,
        "name": "Acme Rocket Works",
        "addresses": [{"address": "1 Test Road", "city": "Shenzhen", "postal_code": "518129", "country": "CN"}],
        "alt_names": ["Acme"],
    }

    import_list(actor=compliance_admin, path=write_csl_json(tmp_path / "list.json", [item]))

    address = Entity.objects.get(key="EL:acme rocket works:CN").addresses.get()
    assert (address.city, address.postal_code, address.country) == ("Shenzhen", "518129", "CN")


def test_an_import_delists_hand_added_entities_of_its_sources_only(tmp_path: Path, compliance_admin: User) -> None:
    by_hand = make_entity("Hand Added Trading", source="EL", actor=compliance_admin)
    other = make_entity("Hand Added Other", source="MEU", actor=compliance_admin)

    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "el.csv", BASE_ROWS[:2]))

    by_hand.refresh_from_db()
    other.refresh_from_db()
    assert by_hand.delisted_on is not None
    assert other.delisted_on is None


def test_the_command_prints_a_one_line_summary(tmp_path: Path, compliance_admin: User) -> None:
    out = io.StringIO()

    call_command("import_list", str(write_csl_csv(tmp_path / "list.csv", BASE_ROWS)), "--user", "admin", stdout=out)

    assert out.getvalue().startswith("Imported list.csv as list version 1: 4 added, 0 changed, 0 removed, 0 unchanged")
    assert ListVersion.objects.get().created_by == compliance_admin


def test_the_command_attributes_to_the_system_user_by_default(tmp_path: Path, db: None) -> None:
    call_command("import_list", str(write_csl_csv(tmp_path / "list.csv", BASE_ROWS)), stdout=io.StringIO())

    version = ListVersion.objects.get()
    assert version.created_by is not None
    assert version.created_by.username == "system"


def test_the_command_dry_run_prints_the_diff(tmp_path: Path, compliance_admin: User) -> None:
    out = io.StringIO()

    call_command("import_list", str(write_csl_csv(tmp_path / "list.csv", BASE_ROWS)), "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert "+ Huawei Technologies Co., Ltd." in lines
    assert lines[-1].startswith("Dry run of list.csv (csl-csv), nothing written: 4 added")
    assert not Entity.objects.exists()
