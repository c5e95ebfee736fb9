"""The trade.gov Consolidated Screening List, as CSV and as JSON ({"results": [...]})."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from entities.importers.common import (
    ImportFormatError,
    ParsedList,
    ProgressCallback,
    dedupe_keys,
    first_country,
    normalise_entity_type,
    normalise_policy,
    parse_addresses,
    parse_date,
    source_code,
    split_multi,
)
from entities.keys import entity_key
from entities.records import AddressRecord, EntityRecord

COLUMNS = (
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
REQUIRED = frozenset({"source", "name"})
_MULTI = ("programs", "citizenships", "dates_of_birth", "nationalities", "places_of_birth", "ids")
_TEXT = (
    "title",
    "federal_register_notice",
    "standard_order",
    "license_requirement",
    "remarks",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "source_list_url",
    "source_information_url",
)


class RowError(ValueError):
    """A problem with one row; the parser adds the file and line."""


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(path, None, f"cannot be read ({exc.strerror})") from None
    if not raw.strip():
        raise ImportFormatError(path, None, "the file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFormatError(path, line, "is not UTF-8 text (is this a list file?)") from None


def parse_csv(path: Path, progress: ProgressCallback) -> ParsedList:
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportFormatError(path, 1, f"malformed CSV ({exc})") from None
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown and len(unknown) == len(header):
        raise ImportFormatError(path, 1, "no CSL header row (expected columns _id, source, name, ...)")
    if unknown:
        raise ImportFormatError(path, 1, f"unknown column(s) {', '.join(map(repr, unknown))}")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFormatError(path, 1, f"missing column(s) {', '.join(missing)}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ImportFormatError(path, 1, f"repeated column(s) {', '.join(repeated)}")

    rows: list[tuple[int, EntityRecord]] = []
    sources: dict[str, str] = {}
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportFormatError(path, line, f"malformed CSV ({exc}); is the file truncated?") from None
        if not any(cell.strip() for cell in row):
            line = reader.line_num + 1
            continue
        if len(row) != len(header):
            raise ImportFormatError(
                path, line, f"has {len(row)} fields, the header has {len(header)}; is the file truncated?"
            )
        try:
            record = record_from_fields(dict(zip(header, row, strict=True)), sources)
        except RowError as exc:
            raise ImportFormatError(path, line, str(exc)) from None
        rows.append((line, record))
        if len(rows) % 1000 == 0:
            progress("Reading", len(rows), 0)
        line = reader.line_num + 1
    return _finish(path, "csl-csv", rows, sources)


def parse_json(path: Path, progress: ProgressCallback) -> ParsedList:
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(path, exc.lineno, f"not valid JSON ({exc.msg}); is the file truncated?") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise ImportFormatError(path, 1, 'not CSL JSON: expected an object with a "results" array')
    rows: list[tuple[int, EntityRecord]] = []
    sources: dict[str, str] = {}
    for index, item in enumerate(results):
        try:
            if not isinstance(item, dict):
                raise RowError("a result is not an object")
            unknown = [k for k in item if k not in COLUMNS]
            if unknown:
                raise RowError(f"unknown field(s) {', '.join(map(repr, unknown))}")
            record = record_from_fields(item, sources)
        except RowError as exc:
            raise ImportFormatError(path, _json_result_line(text, index), f"result {index + 1}: {exc}") from None
        rows.append((index + 1, record))
        if len(rows) % 1000 == 0:
            progress("Reading", len(rows), 0)
    return _finish(path, "csl-json", rows, sources)


def _finish(path: Path, fmt: str, rows: list[tuple[int, EntityRecord]], sources: dict[str, str]) -> ParsedList:
    if not rows:
        raise ImportFormatError(path, None, "contains no records")
    records, duplicates = dedupe_keys(rows)
    return ParsedList(path=path, fmt=fmt, records=records, sources=sources, duplicates=duplicates)


def _json_result_line(text: str, index: int) -> int | None:
    """The line where result number `index` starts; only computed when reporting an error."""
    decoder = json.JSONDecoder()
    start = text.find('"results"')
    pos = text.find("[", start) + 1 if start >= 0 else -1
    if pos <= 0:
        return None
    for i in range(index + 1):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if i == index:
            return text.count("\n", 0, pos) + 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
    return None


def _text(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if type(value) is str:
        # Every CSV cell, and most JSON values: the one case worth being first.
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text({"v": v}, "v") for v in value)
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    return str(value).strip()


def _multi(values: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = values.get(name)
    if isinstance(value, list):
        parts = (_text({"v": v}, "v") for v in value)
        return tuple(p for p in parts if p)
    if not value:
        return ()
    return split_multi(_text(values, name))


def _addresses(value: Any) -> tuple[AddressRecord, ...]:
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict):
                fields = ("address", "city", "state", "postal_code", "country")
                out.append(AddressRecord(**{f: str(item.get(f) or "").strip() for f in fields}))
            elif str(item).strip():
                out.extend(parse_addresses(str(item)))
        return tuple(out)
    return parse_addresses(str(value or ""))


def record_from_fields(values: Mapping[str, Any], sources: dict[str, str]) -> EntityRecord:
    """One CSL result (a CSV row as a dict, or a JSON object) as an EntityRecord."""
    source_name = _text(values, "source")
    name = _text(values, "name")
    if not name:
        raise RowError("the name is empty")
    code = source_code(source_name)
    if code is None:
        raise RowError(f"unknown source list {source_name!r}")
    entity_type = normalise_entity_type(_text(values, "type"))
    if entity_type is None:
        raise RowError(f"unknown type {_text(values, 'type')!r} (Individual, Entity, Vessel or Aircraft)")
    dates = {}
    for column in ("start_date", "end_date"):
        raw = _text(values, column)
        try:
            dates[column] = parse_date(raw) if raw else None
        except ValueError as exc:
            raise RowError(f"{column}: {exc}") from None
    sources.setdefault(code, source_name)
    addresses = _addresses(values.get("addresses"))
    entity_number = _text(values, "entity_number")
    policy_text = _text(values, "license_policy")
    return EntityRecord(
        key=entity_key(source=code, name=name, country=first_country(addresses), source_id=entity_number),
        source=code,
        source_name=source_name,
        source_id=_text(values, "_id"),
        entity_number=entity_number,
        entity_type=entity_type,
        name=name,
        start_date=dates["start_date"],
        end_date=dates["end_date"],
        license_policy=normalise_policy(policy_text),
        license_policy_text=policy_text,
        aliases=_multi(values, "alt_names"),
        addresses=addresses,
        **{column: _multi(values, column) for column in _MULTI},  # type: ignore[arg-type]
        **{column: _text(values, column) for column in _TEXT},  # type: ignore[arg-type]
    )
