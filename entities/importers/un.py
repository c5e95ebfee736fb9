"""The UN Security Council consolidated sanctions list, in its official XML layout.

`CONSOLIDATED_LIST` holds `INDIVIDUALS` and `ENTITIES`. A person's name is split over
FIRST_NAME..FOURTH_NAME; `NAME_ORIGINAL_SCRIPT` is the same name as the Council wrote it in
Arabic, Cyrillic or Chinese script, and is kept as an alias so that it is screened as a name of
its entity. Aliases of any QUALITY are kept: a "Low" quality alias is still a name the party used.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from entities.importers.common import (
    ImportFormatError,
    ParsedList,
    ProgressCallback,
    country_code,
    dedupe_keys,
    parse_date,
)
from entities.keys import entity_key
from entities.records import AddressRecord, EntityRecord

SOURCE = "UN"
SOURCE_NAME = "UN Security Council Consolidated List (UN)"
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _text(element: ET.Element | None, tag: str) -> str:
    if element is None:
        return ""
    return " ".join((element.findtext(tag) or "").split())


def _values(element: ET.Element, tag: str) -> tuple[str, ...]:
    """The VALUE children of every `tag` element ("NATIONALITY", "TITLE", "DESIGNATION")."""
    out = [" ".join((v.text or "").split()) for node in element.findall(tag) for v in node.findall("VALUE")]
    return tuple(dict.fromkeys(v for v in out if v))


def _aliases(element: ET.Element, kind: str, name: str) -> tuple[str, ...]:
    names = [_text(alias, "ALIAS_NAME") for alias in element.findall(f"{kind}_ALIAS")]
    names.append(_text(element, "NAME_ORIGINAL_SCRIPT"))
    return tuple(dict.fromkeys(n for n in names if n and n != name))


def _addresses(element: ET.Element, kind: str) -> tuple[AddressRecord, ...]:
    out = []
    for node in element.findall(f"{kind}_ADDRESS"):
        parts = [_text(node, tag) for tag in ("STREET", "NOTE")]
        record = AddressRecord(
            address=", ".join(p for p in parts if p),
            city=_text(node, "CITY"),
            state=_text(node, "STATE_PROVINCE"),
            postal_code=_text(node, "ZIP_CODE"),
            country=country_code(_text(node, "COUNTRY")),
        )
        if any((record.address, record.city, record.state, record.postal_code, record.country)):
            out.append(record)
    return tuple(dict.fromkeys(out))


def _dates_of_birth(element: ET.Element) -> tuple[str, ...]:
    out = []
    for node in element.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        date = _text(node, "DATE") or _text(node, "YEAR")
        if not date and _text(node, "FROM_YEAR"):
            date = f"{_text(node, 'FROM_YEAR')} to {_text(node, 'TO_YEAR')}"
        if date:
            out.append(date)
    return tuple(dict.fromkeys(out))


def _places_of_birth(element: ET.Element) -> tuple[str, ...]:
    out = []
    for node in element.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        place = ", ".join(p for p in (_text(node, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY")) if p)
        if place:
            out.append(place)
    return tuple(dict.fromkeys(out))


def _documents(element: ET.Element) -> tuple[str, ...]:
    out = []
    for node in element.findall("INDIVIDUAL_DOCUMENT"):
        number = _text(node, "NUMBER")
        if number:
            kind = _text(node, "TYPE_OF_DOCUMENT") or "Document"
            out.append(f"{kind}: {number}")
    return tuple(dict.fromkeys(out))


def record_from_element(element: ET.Element, kind: str) -> EntityRecord:
    """One INDIVIDUAL or ENTITY element as an EntityRecord keyed by its UN reference number."""
    if kind == "INDIVIDUAL":
        name = " ".join(p for p in (_text(element, tag) for tag in _NAME_PARTS) if p)
    else:
        name = _text(element, "FIRST_NAME")
    if not name:
        raise ValueError("the name is empty")
    reference = _text(element, "REFERENCE_NUMBER")
    # Some dates carry a time-zone offset ("2015-04-07-04:00"); the day is what matters.
    listed_on = _text(element, "LISTED_ON")[:10]
    addresses = _addresses(element, kind)
    return EntityRecord(
        key=entity_key(source=SOURCE, name=name, source_id=reference),
        source=SOURCE,
        source_name=SOURCE_NAME,
        source_id=_text(element, "DATAID"),
        entity_number=reference,
        entity_type="individual" if kind == "INDIVIDUAL" else "entity",
        name=name,
        title="; ".join(_values(element, "TITLE")),
        programs=tuple(p for p in (_text(element, "UN_LIST_TYPE"),) if p),
        start_date=parse_date(listed_on) if listed_on else None,
        remarks=_text(element, "COMMENTS1"),
        nationalities=_values(element, "NATIONALITY"),
        dates_of_birth=_dates_of_birth(element),
        places_of_birth=_places_of_birth(element),
        ids=_documents(element),
        aliases=_aliases(element, kind, name),
        addresses=addresses,
    )


def parse_un(path: Path, progress: ProgressCallback) -> ParsedList:
    try:
        # An uploaded file is untrusted: no entity expansion, no external entities.
        root = SafeET.parse(path).getroot()
    except DefusedXmlException:
        raise ImportFormatError(path, None, "uses XML entities or a DTD, which a list file never needs") from None
    except OSError as exc:
        raise ImportFormatError(path, None, f"cannot be read ({exc.strerror})") from None
    except ET.ParseError as exc:
        raise ImportFormatError(path, exc.position[0], f"not valid XML ({exc}); is the file truncated?") from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ImportFormatError(path, 1, "not the UN consolidated list: expected a CONSOLIDATED_LIST element")
    rows: list[tuple[int, EntityRecord]] = []
    for group, kind in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        for element in root.iterfind(f"{group}/{kind}"):
            try:
                record = record_from_element(element, kind)
            except ValueError as exc:
                where = _text(element, "REFERENCE_NUMBER") or f"{kind.lower()} {len(rows) + 1}"
                raise ImportFormatError(path, None, f"{where}: {exc}") from None
            rows.append((len(rows) + 1, record))
            if len(rows) % 1000 == 0:
                progress("Reading", len(rows), 0)
    if not rows:
        raise ImportFormatError(path, None, "contains no records")
    records, duplicates = dedupe_keys(rows)
    return ParsedList(path=path, fmt="un-xml", records=records, sources={SOURCE: SOURCE_NAME}, duplicates=duplicates)
