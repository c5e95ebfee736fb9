"""OFAC's legacy SDN CSV trio: sdn, alt (aliases) and add (addresses) files side by side.

The files have no header, write "-0- " for an empty field, end lines with CRLF and end with
a 0x1A (DOS end-of-file) byte. They are one list, SDN: an OFAC import updates the same SDN
records (keyed by OFAC's entity number) that a CSL import loaded.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from entities.importers.common import (
    ImportFormatError,
    ParsedList,
    ProgressCallback,
    country_code,
    dedupe_keys,
    normalise_entity_type,
)
from entities.keys import entity_key
from entities.records import AddressRecord, EntityRecord

SOURCE = "SDN"
SOURCE_NAME = "Specially Designated Nationals (SDN) - Treasury Department"
SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")


def companion_files(path: Path) -> tuple[Path, Path, Path]:
    """The sdn, alt and add files for a path to the sdn file or to the folder holding all three."""
    if path.is_dir():
        found = []
        for prefix in ("sdn", "alt", "add"):
            matches = sorted(p for p in path.iterdir() if p.name.lower().startswith(prefix) and p.is_file())
            if len(matches) != 1:
                raise ImportFormatError(path, None, f"expected exactly one {prefix}*.csv file in this folder")
            found.append(matches[0])
        return found[0], found[1], found[2]
    name = path.name
    index = name.lower().find("sdn")
    if index < 0:
        raise ImportFormatError(path, None, "an OFAC import needs the sdn file (its name contains 'sdn')")
    siblings = tuple(path.with_name(name[:index] + part + name[index + 3 :]) for part in ("alt", "add"))
    for sibling in siblings:
        if not sibling.is_file():
            raise ImportFormatError(sibling, None, "missing: the alt and add files must sit beside the sdn file")
    return path, siblings[0], siblings[1]


def _rows(path: Path, columns: tuple[str, ...], *, allow_empty: bool = False) -> list[tuple[int, list[str]]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(path, None, f"cannot be read ({exc.strerror})") from None
    raw = raw.rstrip(b"\x1a\r\n\t ")
    if not raw:
        if allow_empty:
            return []
        raise ImportFormatError(path, None, "the file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Treasury's older files are Windows-1252.
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFormatError(path, line, f"malformed CSV ({exc}); is the file truncated?") from None
        if row and any(cell.strip() for cell in row):
            if len(row) != len(columns):
                raise ImportFormatError(
                    path,
                    line,
                    f"has {len(row)} fields, an OFAC {path.name.split('_')[0][:3]} file has {len(columns)} "
                    f"({', '.join(columns)}); wrong format or truncated file?",
                )
            if not row[0].strip().isdigit():
                raise ImportFormatError(path, line, f"ent_num {row[0]!r} is not a number; wrong format?")
            out.append((line, [_clean(cell) for cell in row]))
        line = reader.line_num + 1
    return out


def _clean(cell: str) -> str:
    cell = cell.strip()
    return "" if cell == "-0-" else cell


def parse_ofac(path: Path, progress: ProgressCallback) -> ParsedList:
    sdn_path, alt_path, add_path = companion_files(path)
    sdn_rows = _rows(sdn_path, SDN_COLUMNS)
    aliases: dict[str, list[str]] = {}
    for _line, row in _rows(alt_path, ALT_COLUMNS, allow_empty=True):
        aliases.setdefault(row[0], []).append(row[3])
    addresses: dict[str, list[AddressRecord]] = {}
    warnings: set[str] = set()
    for _line, row in _rows(add_path, ADD_COLUMNS, allow_empty=True):
        _, _, street, city, country, _ = row
        code = country_code(country)
        if country and not code:
            warnings.add(f"no ISO code for country {country!r} (kept in the address text)")
        text = ", ".join(part for part in (street, city, "" if code else country) if part)
        addresses.setdefault(row[0], []).append(AddressRecord(address=text, city=city, country=code))
    known = {row[0] for _, row in sdn_rows}
    for label, table, file in (("alt", aliases, alt_path), ("add", addresses, add_path)):
        orphans = sorted(set(table) - known, key=int)
        if orphans:
            raise ImportFormatError(
                file, None, f"{label} rows refer to entities not in {sdn_path.name}: {', '.join(orphans[:5])}"
            )

    rows: list[tuple[int, EntityRecord]] = []
    for line, row in sdn_rows:
        ent_num, name, sdn_type, program, title, call_sign, vess_type, tonnage, grt, flag, owner, remarks = row
        entity_type = normalise_entity_type(sdn_type)
        if entity_type is None:
            raise ImportFormatError(sdn_path, line, f"unknown SDN_Type {sdn_type!r}")
        if not name:
            raise ImportFormatError(sdn_path, line, "the name is empty")
        rows.append(
            (
                line,
                EntityRecord(
                    key=entity_key(source=SOURCE, name=name, source_id=ent_num),
                    source=SOURCE,
                    source_name=SOURCE_NAME,
                    source_id=ent_num,
                    entity_number=ent_num,
                    entity_type=entity_type,
                    name=name,
                    title=title,
                    programs=tuple(p.strip(" []") for p in program.split("] [") if p.strip(" []")),
                    call_sign=call_sign,
                    vessel_type=vess_type,
                    gross_tonnage=tonnage,
                    gross_registered_tonnage=grt,
                    vessel_flag=flag,
                    vessel_owner=owner,
                    remarks=remarks,
                    aliases=tuple(aliases.get(ent_num, ())),
                    addresses=tuple(addresses.get(ent_num, ())),
                ),
            )
        )
        if len(rows) % 1000 == 0:
            progress("Reading", len(rows), 0)
    records, duplicates = dedupe_keys(rows)
    return ParsedList(
        path=sdn_path,
        fmt="ofac-sdn",
        records=records,
        sources={SOURCE: SOURCE_NAME},
        duplicates=duplicates,
        warnings=sorted(warnings),
    )
