"""Recognising an entry across list versions when its key changed (a rename, a new country).

Files without a stable id (the BIS Entity List as published in 2026) key an entry by its source,
name and country (`entities.keys`), so a rename or a re-filed country reads as one entry
removed and another added: the entity's hits, verdicts and history would not follow it, and the
dry run would list the same company under "would add" and "would delist". Before an import
delists anything, each entry about to be removed is compared with the entries about to be added
on more than the name: aliases, address, country and Federal Register citation. A pair with
enough independent evidence is one entry that changed, and the import writes it as such, onto
the same row. The dry run lists every pair with its evidence, and an admin can reject a pair,
which then imports as a removal plus an addition.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from entities.keys import normalise_for_key
from entities.records import AddressRecord, EntityRecord

# Hong Kong entries were re-filed under China (the 2020 change of its export-control status);
# the 2026 Entity List writes their addresses "..., Hong Kong, CN" where 2022 wrote "HK".
_SAME_COUNTRY = {frozenset({"HK", "CN"})}
_CITATION = re.compile(r"(\d{2,3})\s*FR\s*(\d{3,6})", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words an address shares with half the list, which say nothing about the entry.
_ADDRESS_NOISE = frozenset(
    {
        "the",
        "of",
        "and",
        "no",
        "road",
        "street",
        "st",
        "rd",
        "building",
        "bldg",
        "floor",
        "f",
        "room",
        "rm",
        "unit",
        "district",
        "city",
        "province",
        "china",
        "hong",
        "kong",
        "cn",
        "hk",
        "ru",
        "ir",
        "ae",
        "tr",
        "russia",
        "moscow",
    }
)
# How far apart two citations of one notice may be: the 2026 transcription cites the page an
# entry is printed on, the 2022 CSL sometimes the page the notice starts on.
CITATION_PAGES = 3
# An address word held by more added entries than this only proposes candidates by way of others.
COMMON_WORD = 40
# The share of address words two addresses must have in common to be "the same address".
ADDRESS_OVERLAP = 0.6


@dataclass(frozen=True)
class Pairing:
    """An entry about to be removed, recognised in an entry about to be added."""

    old_id: int
    old_name: str
    old_key: str
    new_key: str
    new_name: str
    evidence: tuple[str, ...]

    @property
    def token(self) -> str:
        """What an admin's rejection names: the removed row and the added key."""
        return f"{self.old_id}>{self.new_key}"

    def describe(self) -> str:
        renamed = self.old_name if self.old_name == self.new_name else f"{self.old_name} → {self.new_name}"
        return f"{renamed} (same entry: {', '.join(self.evidence)})"

    def as_dict(self) -> dict[str, object]:
        return {
            "token": self.token,
            "old_id": self.old_id,
            "old_name": self.old_name,
            "new_name": self.new_name,
            "old_key": self.old_key,
            "new_key": self.new_key,
            "evidence": list(self.evidence),
            "description": self.describe(),
        }


def _names(record: EntityRecord) -> set[str]:
    return {n for n in (normalise_for_key(x) for x in (record.name, *record.aliases)) if n}


def _countries(record: EntityRecord) -> set[str]:
    found = {a.country for a in record.addresses if a.country}
    if not found and record.key.count(":") >= 2:
        found = {record.key.rsplit(":", 1)[-1]} - {""}
    return found


def _same_country(a: set[str], b: set[str]) -> bool:
    if a & b:
        return True
    return any(frozenset({x, y}) in _SAME_COUNTRY for x in a for y in b)


def _address_words(addresses: Iterable[AddressRecord]) -> list[set[str]]:
    out = []
    for address in addresses:
        text = " ".join((address.address, address.city, address.postal_code)).casefold()
        words = {w for w in _WORD.findall(text) if w not in _ADDRESS_NOISE and (len(w) > 1 or w.isdigit())}
        if len(words) >= 3:
            out.append(words)
    return out


def _same_address(a: Sequence[Collection[str]], b: Sequence[Collection[str]]) -> bool:
    for x in a:
        for y in b:
            if len(set(x) & set(y)) / min(len(x), len(y)) >= ADDRESS_OVERLAP:
                return True
    return False


def _citations(text: str) -> set[tuple[int, int]]:
    return {(int(volume), int(page)) for volume, page in _CITATION.findall(text)}


def _same_citation(a: set[tuple[int, int]], b: set[tuple[int, int]]) -> bool:
    return any(va == vb and abs(pa - pb) <= CITATION_PAGES for va, pa in a for vb, pb in b)


@dataclass(frozen=True)
class _Features:
    """What pairing compares of one record, computed once."""

    name: str
    names: frozenset[str]
    addresses: tuple[frozenset[str], ...]
    countries: frozenset[str]
    citations: frozenset[tuple[int, int]]

    @classmethod
    def of(cls, record: EntityRecord) -> _Features:
        return cls(
            name=normalise_for_key(record.name),
            names=frozenset(_names(record)),
            addresses=tuple(frozenset(w) for w in _address_words(record.addresses)),
            countries=frozenset(_countries(record)),
            citations=frozenset(_citations(record.federal_register_notice)),
        )


def _evidence(old: _Features, new: _Features) -> tuple[str, ...]:
    found: list[str] = []
    if old.name == new.name:
        found.append("same name")
    elif old.names & new.names:
        found.append("shared name or alias")
    if _same_address(old.addresses, new.addresses):
        found.append("same address")
    if _same_country(set(old.countries), set(new.countries)):
        found.append("same country")
    if _same_citation(set(old.citations), set(new.citations)):
        found.append("same Federal Register citation")
    return tuple(found)


def evidence(old: EntityRecord, new: EntityRecord) -> tuple[str, ...]:
    """What says `old` and `new` are one entry, in words; empty when nothing does."""
    return _evidence(_Features.of(old), _Features.of(new))


def _enough(found: Sequence[str]) -> bool:
    """A name (or alias) with one more line of evidence, or an address with two more.

    A shared address alone is not enough (one building houses several listed companies), nor a
    shared citation (one notice lists dozens of entries).
    """
    named = "same name" in found or "shared name or alias" in found
    if named:
        return len(found) >= 2
    return "same address" in found and len(found) >= 3


def pair_renamed(
    removed: Sequence[tuple[int, EntityRecord]],
    added: Sequence[EntityRecord],
    *,
    rejected: Collection[str] = (),
) -> list[Pairing]:
    """Pairs of (removed row, added record) that are one entry, each row and record used once.

    A removed entry with two equally good candidates (or a candidate claimed equally by two) is
    left unpaired: a guess would move one company's verdicts onto another.
    """
    features = [_Features.of(record) for record in added]
    by_name: dict[str, list[int]] = {}
    by_address: dict[str, list[int]] = {}
    for index, feature in enumerate(features):
        for name in feature.names:
            by_name.setdefault(name, []).append(index)
        for word in set().union(*feature.addresses):
            by_address.setdefault(word, []).append(index)
    scored: list[tuple[int, int, int, tuple[str, ...]]] = []
    for position, (old_id, old) in enumerate(removed):
        mine = _Features.of(old)
        candidates = {i for name in mine.names for i in by_name.get(name, ())}
        for words in mine.addresses:
            counts: dict[int, int] = {}
            for word in words:
                holders = by_address.get(word, ())
                if len(holders) > COMMON_WORD:
                    continue  # a city or a district: proposes everyone, decides nothing
                for i in holders:
                    counts[i] = counts.get(i, 0) + 1
            candidates |= {i for i, n in counts.items() if n >= 3}
        for index in candidates:
            new = added[index]
            if old.source != new.source or f"{old_id}>{new.key}" in rejected:
                continue
            found = _evidence(mine, features[index])
            if _enough(found):
                scored.append((len(found), position, index, found))
    best_for_old: dict[int, list[tuple[int, int, tuple[str, ...]]]] = {}
    best_for_new: dict[int, int] = {}
    for score, position, index, found in scored:
        best_for_old.setdefault(position, []).append((score, index, found))
        best_for_new[index] = max(best_for_new.get(index, 0), score)
    claims: dict[int, int] = {}
    for score, _, index, _ in scored:
        if score == best_for_new[index]:
            claims[index] = claims.get(index, 0) + 1
    pairs: list[Pairing] = []
    for position, options in sorted(best_for_old.items()):
        top = max(score for score, _, _ in options)
        best = [(index, found) for score, index, found in options if score == top]
        if len(best) != 1:
            continue
        index, found = best[0]
        if best_for_new[index] != top or claims[index] != 1:
            continue
        old_id, old = removed[position]
        new = added[index]
        pairs.append(Pairing(old_id, old.name, old.key, new.key, new.name, found))
    return pairs
