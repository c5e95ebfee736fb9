"""A listed party as parsed from any source (CSL CSV/JSON, OFAC SDN, a browser form).

Importers and the edit pages both produce `EntityRecord`s; services turn them into rows. The
content hash is how a re-import tells "unchanged" from "changed" without comparing every field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date


@dataclass(frozen=True)
class AddressRecord:
    address: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True)
class EntityRecord:
    key: str
    source: str
    name: str
    source_name: str = ""
    source_id: str = ""
    entity_number: str = ""
    entity_type: str = "entity"
    title: str = ""
    programs: tuple[str, ...] = ()
    federal_register_notice: str = ""
    start_date: date | None = None
    end_date: date | None = None
    standard_order: str = ""
    license_requirement: str = ""
    license_policy: str = "none"
    license_policy_text: str = ""
    remarks: str = ""
    call_sign: str = ""
    vessel_type: str = ""
    gross_tonnage: str = ""
    gross_registered_tonnage: str = ""
    vessel_flag: str = ""
    vessel_owner: str = ""
    citizenships: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    places_of_birth: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    source_list_url: str = ""
    source_information_url: str = ""
    aliases: tuple[str, ...] = ()
    addresses: tuple[AddressRecord, ...] = field(default=())

    def content_hash(self) -> str:
        # The payload `dataclasses.asdict` would build (so stored hashes stay valid), without its
        # recursive deep copy, which was most of a no-op re-import's time.
        payload = {name: getattr(self, name) for name in _HASHED_FIELDS}
        payload["addresses"] = [a.__dict__ for a in self.addresses]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def entity_fields(self) -> dict[str, object]:
        """Column values for `Entity` (lists for JSON fields), without aliases and addresses."""
        values: dict[str, object] = {}
        for name in _ENTITY_FIELDS:
            value = getattr(self, name)
            values[name] = list(value) if isinstance(value, tuple) else value
        return values

    def changed_fields(self, other: EntityRecord) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]


_HASHED_FIELDS = tuple(f.name for f in fields(EntityRecord) if f.name != "key")
_ENTITY_FIELDS = tuple(f.name for f in fields(EntityRecord) if f.name not in {"aliases", "addresses"})


def identity_digest(name: str, aliases: Iterable[str], addresses: Iterable[Sequence[str]]) -> str:
    """Digest of what identifies a listed party: its name, aliases and addresses (country included).

    A reviewer's "false positive" rests on exactly these; a changed licence requirement, remark
    or Federal Register citation does not make the party someone else. Order-free, so a source
    that reorders its aliases changes nothing.
    """
    payload = [
        " ".join(name.casefold().split()),
        sorted(" ".join(a.casefold().split()) for a in aliases),
        sorted([" ".join(str(part).casefold().split()) for part in address] for address in addresses),
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
