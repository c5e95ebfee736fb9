"""Small hand-written list files for the import tests (never copies of the real data)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from entities.importers.csl import COLUMNS

EL = "Entity List (EL) - Bureau of Industry and Security"
SDN = "Specially Designated Nationals (SDN) - Treasury Department"
DPL = "Denied Persons List (DPL) - Bureau of Industry and Security"


def csl_row(name: str, *, source: str = EL, **values: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(source=source, name=name, **values)
    return row


def write_csl_csv(path: Path, rows: list[dict[str, str]], *, header: list[str] | None = None) -> Path:
    columns = header or list(COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_csl_json(path: Path, results: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"results": results}, indent=2), encoding="utf-8")
    return path


def write_ofac(folder: Path, sdn: list[str], alt: list[str], add: list[str]) -> Path:
    """OFAC legacy files as Treasury writes them: CRLF lines and a final 0x1A byte."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("sdn.csv", sdn), ("alt.csv", alt), ("add.csv", add)):
        (folder / name).write_bytes(("\r\n".join(lines) + "\r\n").encode() + b"\x1a")
    return folder / "sdn.csv"


BASE_ROWS = [
    csl_row(
        "Huawei Technologies Co., Ltd.",
        addresses="Bantian, Longgang District, Shenzhen, CN; Tsim Sha Tsui, Kowloon, HK",
        alt_names="Huawei; and Shenzhen Huawei Technologies",
        license_policy="Presumption of denial.",
        license_requirement="For all items subject to the EAR.",
        start_date="2019-05-21",
        federal_register_notice="84 FR 22961",
    ),
    csl_row("Rostec State Corporation", addresses="Moscow, RU", license_policy="Policy of denial. "),
    csl_row(
        "ABBAS, Rim",
        source=SDN,
        _id="21944",
        entity_number="21944",
        type="Individual",
        programs="SYRIA",
        addresses="SY",
        dates_of_birth="1973-03-25",
    ),
    csl_row("I. Ash", source=DPL, addresses="Seagoville, TX, US", start_date="2003-06-19"),
]
