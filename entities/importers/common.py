"""What every list format shares: source codes, duplicate keys, and the field normalisers.

Keys themselves are built by `entities.keys`, the one module the forms and the API use too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pycountry

from entities.countries import list_country_codes
from entities.models import EntityType, LicensePolicy
from entities.records import AddressRecord, EntityRecord

# progress(stage, done, total): total is 0 while it is not known yet.
ProgressCallback = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


class ImportFormatError(ValueError):
    """A file that cannot be imported as declared; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = message
        where = f"{self.path.name}, line {line}" if line else self.path.name
        super().__init__(f"{where}: {message}")


@dataclass
class ParsedList:
    """Every record of a file, parsed and validated, before anything is written."""

    path: Path
    fmt: str
    records: list[EntityRecord]
    # Source code -> the source's full name, for every list the file is authoritative for.
    sources: dict[str, str]
    # Keys that occurred more than once in the file, as "<key> (lines 12, 40)".
    duplicates: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# The CSL's 13 lists. A source string names its code in parentheses, e.g.
# "Entity List (EL) - Bureau of Industry and Security"; two spell it differently.
KNOWN_SOURCES = ("EL", "SDN", "DPL", "UVL", "MEU", "ISN", "DTC", "CAP", "CMIC", "FSE", "MBS", "PLC", "SSI")
_SOURCE_ALIASES = {"NS-MBS LIST": "MBS", "NS-MBS": "MBS", "MEU LIST": "MEU"}
_PARENTHESES = re.compile(r"\(([^()]{1,40})\)")


@lru_cache(maxsize=256)
def source_code(source: str) -> str | None:
    """The short code of a CSL source string, or None when it names no list we know."""
    for candidate in _PARENTHESES.findall(source):
        code = candidate.strip().upper()
        code = _SOURCE_ALIASES.get(code, code)
        if code in KNOWN_SOURCES:
            return code
    return None


def dedupe_keys(records: list[tuple[int, EntityRecord]]) -> tuple[list[EntityRecord], list[str]]:
    """Give the second and later records sharing a key the suffix "#2", "#3"... in file order."""
    seen: dict[str, list[int]] = {}
    out: list[EntityRecord] = []
    for line, record in records:
        lines = seen.setdefault(record.key, [])
        lines.append(line)
        if len(lines) > 1:
            record = EntityRecord(**{**record.__dict__, "key": f"{record.key}#{len(lines)}"})
        out.append(record)
    duplicates = [f"{key} (lines {', '.join(str(n) for n in lines)})" for key, lines in seen.items() if len(lines) > 1]
    return out, duplicates


def split_multi(value: str) -> tuple[str, ...]:
    """Split a CSL multi-valued field ("a; b; and c")."""
    if ";" not in value:
        value = _strip_and(value.strip())
        return (value,) if value else ()
    parts = (part.strip() for part in value.split(";"))
    return tuple(_strip_and(part) for part in parts if part)


def _strip_and(part: str) -> str:
    # BIS writes lists as prose: "X; Y; and Z".
    return part[4:].strip() if part[:4].casefold() == "and " else part


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    # The codes the list pages accept too: ISO 3166-1, Kosovo's XK and OFAC's former AN.
    return list_country_codes()


_TRAILING_CODE = re.compile(r"(?:^|,)\s*([A-Z]{2})\s*$")


def parse_addresses(value: str) -> tuple[AddressRecord, ...]:
    """CSL addresses: "; "-separated, each ending with ", CC" (an ISO code).

    BIS sometimes writes several addresses in one country as "A; and B, CC": a part without a
    code takes the code of the next part that has one. The text is kept as the source wrote it.
    """
    parts = [_strip_and(p.strip()) for p in value.split(";")]
    parts = [p for p in parts if p]
    countries: list[str] = []
    for part in parts:
        match = _TRAILING_CODE.search(part)
        countries.append(match.group(1) if match and match.group(1) in iso_codes() else "")
    pending = ""
    for i in range(len(parts) - 1, -1, -1):
        if countries[i]:
            pending = countries[i]
        else:
            countries[i] = pending
    return tuple(
        AddressRecord(address="" if part == country else part, country=country)
        for part, country in zip(parts, countries, strict=True)
    )


def normalise_policy(text: str) -> str:
    """Map the source's licence review policy wording to a LicensePolicy value."""
    folded = " ".join(text.casefold().split())
    if not folded:
        return LicensePolicy.NONE.value
    if folded.startswith("policy of denial"):
        return LicensePolicy.POLICY_OF_DENIAL.value
    if folded.startswith("presumption of denial"):
        return LicensePolicy.PRESUMPTION_OF_DENIAL.value
    if folded.startswith(("case-by-case", "case by case")):
        return LicensePolicy.CASE_BY_CASE.value
    return LicensePolicy.OTHER.value


_ENTITY_TYPES = {"": EntityType.ENTITY.value, **{t.value: t.value for t in EntityType}}


def normalise_entity_type(value: str) -> str | None:
    """ "Individual" -> "individual"; empty -> entity; None for a type we do not know."""
    return _ENTITY_TYPES.get(value.strip().casefold())


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: str) -> date:
    """An ISO date (the CSL's format); ValueError otherwise."""
    value = value.strip()
    if not _ISO_DATE.match(value):
        raise ValueError(f"{value!r} is not a date in YYYY-MM-DD form")
    return date.fromisoformat(value)


# OFAC writes countries as names; the ones pycountry does not know by these spellings.
_COUNTRY_NAMES = {
    "bahamas, the": "BS",
    "bolivia": "BO",
    "brunei": "BN",
    "burma": "MM",
    "congo, democratic republic of the": "CD",
    "congo, republic of the": "CG",
    "cote d ivoire": "CI",
    "czech republic": "CZ",
    "iran": "IR",
    "korea, north": "KP",
    "korea, south": "KR",
    "kosovo": "XK",
    "laos": "LA",
    "macau": "MO",
    "moldova": "MD",
    "netherlands antilles": "AN",
    "palestinian": "PS",
    "region: crimea": "UA",
    "region: gaza": "PS",
    "region: northern mali": "ML",
    "russia": "RU",
    "syria": "SY",
    "taiwan": "TW",
    "tanzania": "TZ",
    "the gambia": "GM",
    "turkey": "TR",
    "venezuela": "VE",
    "vietnam": "VN",
    "virgin islands, british": "VG",
    "west bank": "PS",
}


@lru_cache(maxsize=1024)
def country_code(name: str) -> str:
    """ISO alpha-2 code for a country name, or "" (e.g. "undetermined", a disputed region)."""
    folded = " ".join(name.casefold().split())
    if not folded:
        return ""
    if folded in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[folded]
    try:
        return str(pycountry.countries.lookup(name.strip()).alpha_2)
    except LookupError:
        return ""


def first_country(addresses: Iterable[AddressRecord]) -> str:
    return next((a.country for a in addresses if a.country), "")
