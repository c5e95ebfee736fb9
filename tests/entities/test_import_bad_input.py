"""A file that cannot be imported gets one clear error naming the file and line, and changes nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from entities.importers import ImportFormatError, import_list
from entities.importers.csl import COLUMNS
from entities.models import Entity, ListVersion
from tests.entities.import_helpers import BASE_ROWS, csl_row, write_csl_csv, write_csl_json, write_ofac

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


@pytest.fixture
def loaded(tmp_path: Path, compliance_admin: User) -> Callable[[], tuple[int, int, list[str]]]:
    """A list already imported, and a snapshot function to prove a failed import changed nothing."""
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "base.csv", BASE_ROWS))

    def snapshot() -> tuple[int, int, list[str]]:
        return (
            ListVersion.objects.count(),
            Entity.objects.active().count(),
            sorted(Entity.objects.values_list("content_hash", flat=True)),
        )

    return snapshot


def _fails(path: Path, actor: User, fmt: str | None = None) -> str:
    with pytest.raises(ImportFormatError) as caught:
        import_list(actor=actor, path=path, fmt=fmt)
    return str(caught.value)


def test_an_unknown_column_is_named(tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]) -> None:
    before = loaded()
    path = write_csl_csv(tmp_path / "extra.csv", BASE_ROWS, header=[*COLUMNS, "risk_score"])

    assert _fails(path, compliance_admin) == "extra.csv, line 1: unknown column(s) 'risk_score'"
    assert loaded() == before


def test_a_missing_column_is_named(tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]) -> None:
    before = loaded()
    header = [c for c in COLUMNS if c != "alt_names"]
    path = write_csl_csv(tmp_path / "short.csv", BASE_ROWS, header=header)

    assert _fails(path, compliance_admin) == "short.csv, line 1: missing column(s) alt_names"
    assert loaded() == before


def test_a_row_with_the_wrong_number_of_fields_names_its_line(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    path = write_csl_csv(tmp_path / "rows.csv", BASE_ROWS)
    path.write_text(path.read_text() + ",Entity List (EL) - Bureau of Industry and Security,,,,Cut Off Co\n")

    message = _fails(path, compliance_admin)

    assert message.startswith("rows.csv, line 6: has 6 fields, the header has 29")
    assert loaded() == before


def test_a_csv_truncated_inside_a_quoted_field_is_reported(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    full = write_csl_csv(tmp_path / "full.csv", [*BASE_ROWS, csl_row("Quoted, Name", addresses="Moscow, RU")])
    path = tmp_path / "truncated.csv"
    path.write_text(full.read_text()[:-20])

    message = _fails(path, compliance_admin)

    assert message.startswith("truncated.csv, line 6:")
    assert "truncated" in message
    assert loaded() == before


def test_truncated_json_names_the_line(tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]) -> None:
    before = loaded()
    full = write_csl_json(tmp_path / "full.json", [dict(r) for r in BASE_ROWS])
    path = tmp_path / "cut.json"
    path.write_text(full.read_text()[:300])

    message = _fails(path, compliance_admin)

    assert message.startswith("cut.json, line ")
    assert "not valid JSON" in message
    assert loaded() == before


def test_an_unknown_json_field_names_its_result_and_line(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    results = [dict(r) for r in BASE_ROWS]
    results[1]["risk"] = "high"
    path = write_csl_json(tmp_path / "extra.json", results)

    message = _fails(path, compliance_admin)

    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "},") + 1
    assert message == f"extra.json, line {line}: result 2: unknown field(s) 'risk'"
    assert loaded() == before


def test_a_csv_declared_as_json_is_refused(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    path = write_csl_csv(tmp_path / "list.csv", BASE_ROWS)

    assert "not valid JSON" in _fails(path, compliance_admin, fmt="csl-json")
    assert loaded() == before


def test_an_ofac_file_declared_as_csl_csv_is_refused(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    sdn = write_ofac(tmp_path / "ofac", ['36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"' + ",-0- " * 8], [], [])

    message = _fails(sdn, compliance_admin, fmt="csl-csv")

    assert message == "sdn.csv, line 1: no CSL header row (expected columns _id, source, name, ...)"
    assert loaded() == before


def test_a_csl_file_declared_as_ofac_is_refused(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    folder = tmp_path / "csl"
    folder.mkdir()
    sdn = write_csl_csv(folder / "sdn.csv", BASE_ROWS)
    for name in ("alt.csv", "add.csv"):
        (folder / name).write_text("")

    message = _fails(sdn, compliance_admin, fmt="ofac-sdn")

    assert message.startswith("sdn.csv, line 1: has 29 fields, an OFAC sdn file has 12")
    assert loaded() == before


def test_a_bad_date_unknown_source_or_empty_name_names_the_line(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    cases = {
        "date.csv": (csl_row("Dated Co", start_date="21/05/2019"), "start_date: '21/05/2019' is not a date"),
        "source.csv": (csl_row("Mystery Co", source="Secret List - Nobody"), "unknown source list"),
        "name.csv": (csl_row(""), "the name is empty"),
        "type.csv": (csl_row("Typed Co", type="Spaceship"), "unknown type 'Spaceship'"),
    }
    for filename, (bad, expected) in cases.items():
        message = _fails(write_csl_csv(tmp_path / filename, [*BASE_ROWS, bad]), compliance_admin)
        assert message.startswith(f"{filename}, line 6: "), message
        assert expected in message
    assert loaded() == before


def test_an_empty_or_binary_file_is_refused(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text(HEADER + "\n")
    (tmp_path / "image.csv").write_bytes(HEADER.encode() + b"\n\xff\xd8\xff\xe0 not text")

    assert _fails(tmp_path / "empty.csv", compliance_admin, fmt="csl-csv") == "empty.csv: the file is empty"
    assert _fails(tmp_path / "header.csv", compliance_admin) == "header.csv: contains no records"
    assert _fails(tmp_path / "image.csv", compliance_admin, fmt="csl-csv").startswith("image.csv, line 2: is not UTF-8")
    assert loaded() == before


def test_ofac_alt_rows_for_unknown_entities_are_refused(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    sdn = write_ofac(
        tmp_path / "ofac",
        ['36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"' + ",-0- " * 8],
        ['99,12,"aka","AERO-CARIBBEAN",-0- '],
        [],
    )

    assert "alt rows refer to entities not in sdn.csv: 99" in _fails(sdn, compliance_admin)
    assert loaded() == before


def test_ofac_files_must_sit_side_by_side(tmp_path: Path, compliance_admin: User) -> None:
    sdn = tmp_path / "sdn_2024.csv"
    sdn.write_text("36,x\r\n")

    assert _fails(sdn, compliance_admin, fmt="ofac-sdn") == (
        "alt_2024.csv: missing: the alt and add files must sit beside the sdn file"
    )


def test_the_command_reports_the_error_and_writes_nothing(
    tmp_path: Path, compliance_admin: User, loaded: Callable[[], object]
) -> None:
    before = loaded()
    path = write_csl_csv(tmp_path / "extra.csv", BASE_ROWS, header=[*COLUMNS, "risk_score"])

    with pytest.raises(CommandError, match=r"Nothing imported: extra.csv, line 1: unknown column\(s\) 'risk_score'"):
        call_command("import_list", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert loaded() == before
