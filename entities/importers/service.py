"""Import a whole list file: parse and validate everything, then write the delta in one version.

An import is authoritative for the source lists it contains: records of those lists missing from
the file are delisted (end-dated, never deleted); other lists are untouched. Records are matched
across versions by their stable key (`entities.keys`) and compared by content hash, so a re-import
of the same file reads two columns and writes nothing. The rows are written by the same path as an
edit in the browser (`entities.services`).

Entries a Compliance admin added by hand follow one rule: a file that carries the same party (by
its key, or by its source, name and country when the source numbers its entries) merges into the
hand-added row, which becomes the official entry with its history kept; a file that does not
carry it leaves it listed and marks it "not in the official list as of version N", for an admin
to decide. Nothing is delisted without a person or an official file saying so.

A re-import that changes nothing records no list version: a version is a change to the list,
and re-screening is triggered per version. The result says so (`version_number` is None).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction

from entities.importers.common import ImportFormatError, ParsedList, ProgressCallback, first_country, no_progress
from entities.importers.csl import parse_csv, parse_json
from entities.importers.ofac import parse_ofac
from entities.importers.pairing import Pairing, pair_renamed
from entities.importers.un import parse_un
from entities.keys import name_key
from entities.models import Entity, ListVersion, ListVersionChange
from entities.records import EntityRecord
from entities.services import (
    add_entities,
    begin_version,
    delist_entities,
    finish_version,
    lock_list,
    record_from_entity,
    update_entities,
    update_with_history,
)

FORMATS = ("csl-csv", "csl-json", "ofac-sdn", "un-xml")
Change = ListVersionChange.Change
BATCH = 2000
# How many names a dry run lists per kind of change (the counts are always exact).
DIFF_LIMIT = 200


def detect_format(path: Path) -> str:
    """Guess the format from the file itself: JSON, CSL CSV (header row) or OFAC (no header)."""
    if path.is_dir():
        return "ofac-sdn"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError as exc:
        raise ImportFormatError(path, None, f"cannot be read ({exc.strerror})") from None
    if head.startswith(b"<"):
        return "un-xml"
    if head[:1] in (b"{", b"["):
        return "csl-json"
    if head.startswith((b"_id,", b'"_id"')) or b",source," in head.split(b"\n", 1)[0]:
        return "csl-csv"
    if head[:1].isdigit() and "sdn" in path.name.lower():
        return "ofac-sdn"
    raise ImportFormatError(path, 1, "unrecognised format: not CSL CSV, CSL JSON, an OFAC sdn file or the UN XML list")


def parse_list(path: Path, fmt: str, progress: ProgressCallback = no_progress) -> ParsedList:
    if fmt == "csl-csv":
        return parse_csv(path, progress)
    if fmt == "csl-json":
        return parse_json(path, progress)
    if fmt == "ofac-sdn":
        return parse_ofac(path, progress)
    if fmt == "un-xml":
        return parse_un(path, progress)
    raise ImportFormatError(path, None, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


@dataclass
class ImportResult:
    path: str
    fmt: str
    sources: list[str]
    added: int
    changed: int
    removed: int
    unchanged: int
    version_number: int | None
    dry_run: bool
    seconds: float = 0.0
    duplicates: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Names (and changed fields) per kind of change, at most DIFF_LIMIT each.
    added_names: list[str] = field(default_factory=list)
    changed_names: list[str] = field(default_factory=list)
    removed_names: list[str] = field(default_factory=list)
    # Hand-added entries of these sources the file does not carry: kept listed, marked for an admin.
    not_carried: int = 0
    not_carried_names: list[str] = field(default_factory=list)
    # Entries whose key changed (renamed, re-filed under another country) recognised by more than
    # their name and written as changes of the same row (`entities.importers.pairing`), each with
    # its evidence; and the pairings an admin rejected, imported as a removal and an addition.
    paired: list[dict[str, object]] = field(default_factory=list)
    rejected_pairings: list[str] = field(default_factory=list)
    # The list version the delta was computed against: a preview applied later must still hold.
    based_on_version: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        name = Path(self.path).name
        counts = (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.unchanged} unchanged "
            f"({', '.join(self.sources)}) in {self.seconds:.1f} s"
        )
        if self.paired:
            counts += f"; {len(self.paired)} of the changed recognised under a new name or country"
        if self.dry_run:
            return f"Dry run of {name} ({self.fmt}), nothing written: {counts}"
        if self.version_number is None:
            return f"Imported {name}: no changes, no new list version: {counts}"
        return f"Imported {name} as list version {self.version_number}: {counts}"

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "summary": self.summary()}


@dataclass
class _Plan:
    added: list[EntityRecord] = field(default_factory=list)
    relisted: list[tuple[int, EntityRecord]] = field(default_factory=list)
    changed: list[tuple[int, EntityRecord]] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    # Hand-added rows the file now carries (merged into them), and those it does not (marked).
    merged: list[tuple[int, EntityRecord]] = field(default_factory=list)
    not_carried: list[int] = field(default_factory=list)
    # Removed rows recognised in added records (`pairing`): written as changes of the row.
    paired: list[tuple[int, EntityRecord]] = field(default_factory=list)
    pairings: list[Pairing] = field(default_factory=list)
    unchanged: int = 0
    # Computed once per record: hashing is most of a no-op re-import's time.
    hashes: dict[str, str] = field(default_factory=dict)


def import_list(
    *,
    actor: User | None,
    path: Path | str,
    fmt: str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback = no_progress,
    display_name: str = "",
    rejected_pairings: Collection[str] = (),
) -> ImportResult:
    """Import a list file as one numbered, attributed list version (or report what it would do).

    `rejected_pairings` are the `Pairing.token`s of pairs an admin ruled are not one entry.
    Raises ImportFormatError, before anything is written, when the file cannot be imported.
    """
    started = time.perf_counter()
    path = Path(path)
    fmt = fmt or detect_format(path)
    parsed = parse_list(path, fmt, progress)
    file_label = display_name or parsed.path.name
    reason = f"Import of {file_label}"
    with transaction.atomic():
        # Hold the list lock from the first read, so the delta is computed against the list it
        # is applied to (begin_version takes the same lock again, which is harmless).
        lock_list()
        plan, current = _classify(parsed)
        _pair(plan, rejected=rejected_pairings)
        result = ImportResult(
            path=file_label,
            fmt=fmt,
            sources=sorted(parsed.sources),
            added=len(plan.added) + len(plan.relisted),
            changed=len(plan.changed) + len(plan.merged) + len(plan.paired),
            removed=len(plan.removed),
            unchanged=plan.unchanged,
            version_number=None,
            dry_run=dry_run,
            duplicates=parsed.duplicates,
            warnings=parsed.warnings,
            paired=[pairing.as_dict() for pairing in plan.pairings],
            rejected_pairings=sorted(rejected_pairings),
            based_on_version=ListVersion.current_number(),
        )
        result.not_carried_names = list(
            Entity.objects.filter(pk__in=plan.not_carried[:DIFF_LIMIT]).values_list("name", flat=True)
        )
        result.not_carried = len(plan.not_carried)
        if dry_run or not result.has_changes:
            _describe(result, plan, current)
            if not dry_run and plan.not_carried:
                # The file changes nothing, but it is still the word of the official list.
                _mark_not_carried(
                    plan.not_carried, version=ListVersion.objects.order_by("-number").first(), actor=actor
                )
        else:
            version = begin_version(
                actor=actor,
                kind=ListVersion.Kind.IMPORT,
                reason=reason,
                source_file=file_label,
                sources=result.sources,
            )
            changes = _apply(plan, version=version, actor=actor, reason=reason, progress=progress, label=file_label)
            finish_version(version, changes)
            _mark_not_carried(plan.not_carried, version=version, actor=actor)
            result.version_number = version.number
    result.seconds = time.perf_counter() - started
    return result


def _classify(parsed: ParsedList) -> tuple[_Plan, dict[str, tuple[int, str, date | None]]]:
    rows = Entity.objects.filter(source__in=list(parsed.sources)).values_list(
        "key", "id", "content_hash", "delisted_on", "added_by_hand", "source", "name"
    )
    current: dict[str, tuple[int, str, date | None]] = {}
    # Hand-added rows by name key: a source that numbers its entries (SDN) keys the same party
    # by number, which a hand-added row cannot know.
    by_hand: dict[str, str] = {}
    hand_added: set[str] = set()
    for key, pk, digest, delisted_on, added_by_hand, source, name in rows:
        current[key] = (pk, digest, delisted_on)
        if added_by_hand and delisted_on is None:
            hand_added.add(key)
            by_hand.setdefault(name_key(source=source, name=name, country=key.rsplit(":", 1)[-1]), key)
    plan = _Plan()
    seen: set[str] = set()
    for record in parsed.records:
        plan.hashes[record.key] = record.content_hash()
        key = record.key
        if key not in current and by_hand:
            found = by_hand.get(
                name_key(source=record.source, name=record.name, country=first_country(record.addresses))
            )
            if found is not None and found not in seen:
                key = found
        seen.add(key)
        existing = current.get(key)
        if existing is None:
            plan.added.append(record)
            continue
        pk, digest, delisted_on = existing
        if key in hand_added:
            # The official file now carries it: the row becomes the official entry, history kept.
            plan.merged.append((pk, record))
        elif delisted_on is not None:
            # Back on the list: for screening this is an addition, of the same entity row.
            plan.relisted.append((pk, record))
        elif digest != plan.hashes[record.key]:
            plan.changed.append((pk, record))
        else:
            plan.unchanged += 1
    missing = [(key, pk) for key, (pk, _, delisted_on) in current.items() if key not in seen and not delisted_on]
    plan.removed = sorted(pk for key, pk in missing if key not in hand_added)
    plan.not_carried = sorted(pk for key, pk in missing if key in hand_added)
    return plan, current


def _pair(plan: _Plan, *, rejected: Collection[str]) -> None:
    """Recognise removed entries among the added ones (renamed, or re-filed under another
    country) and move each pair from "removed" and "added" to "changed, same row".

    Only entries the source does not number: a numbered entry's key is its entity number
    (`entities.keys`), which a rename does not change.
    """
    if not plan.removed or not plan.added:
        return
    rows = Entity.objects.filter(pk__in=plan.removed, entity_number="").prefetch_related("aliases", "addresses")
    removed = [(row.pk, record_from_entity(row)) for row in rows.order_by("pk")]
    added = [record for record in plan.added if not record.entity_number]
    plan.pairings = pair_renamed(removed, added, rejected=rejected)
    if not plan.pairings:
        return
    by_key = {record.key: record for record in added}
    plan.paired = [(pairing.old_id, by_key[pairing.new_key]) for pairing in plan.pairings]
    gone = {pairing.old_id for pairing in plan.pairings}
    taken = {pairing.new_key for pairing in plan.pairings}
    plan.removed = [pk for pk in plan.removed if pk not in gone]
    plan.added = [record for record in plan.added if record.key not in taken]


def _describe(result: ImportResult, plan: _Plan, current: dict[str, tuple[int, str, date | None]]) -> None:
    """Fill in the names a dry run (or a no-op) shows, without writing."""
    result.added_names = [r.name for r in plan.added[:DIFF_LIMIT]] + [
        f"{r.name} (back on the list)" for _, r in plan.relisted[: max(0, DIFF_LIMIT - len(plan.added))]
    ]
    shown = plan.changed[:DIFF_LIMIT]
    entities = Entity.objects.prefetch_related("aliases", "addresses").in_bulk([pk for pk, _ in shown])
    result.changed_names = (
        [f"{record.name}: {', '.join(record.changed_fields(record_from_entity(entities[pk])))}" for pk, record in shown]
        + [
            f"{record.name} (added by hand; now in the official list)"
            for _, record in plan.merged[: max(0, DIFF_LIMIT - len(shown))]
        ]
        + [f"{pairing.describe()}" for pairing in plan.pairings[: max(0, DIFF_LIMIT - len(shown) - len(plan.merged))]]
    )
    names = dict(Entity.objects.filter(pk__in=plan.removed[:DIFF_LIMIT]).values_list("id", "name"))
    result.removed_names = [names[pk] for pk in plan.removed[:DIFF_LIMIT]]


def _apply(
    plan: _Plan,
    *,
    version: ListVersion,
    actor: User | None,
    reason: str,
    progress: ProgressCallback,
    label: str,
) -> list[tuple[int, str, list[str]]]:
    total = (
        len(plan.added)
        + len(plan.relisted)
        + len(plan.changed)
        + len(plan.merged)
        + len(plan.paired)
        + len(plan.removed)
    )
    done = 0
    changes: list[tuple[int, str, list[str]]] = []

    for start in range(0, len(plan.added), BATCH):
        added = plan.added[start : start + BATCH]
        ids = add_entities(added, version=version, actor=actor, reason=reason, hashes=plan.hashes)
        changes.extend((pk, Change.ADDED, []) for pk in ids)
        done += len(added)
        progress("Writing", done, total)

    # Changes, re-listings and hand-added rows the file now carries: the record onto the row.
    updates = (
        [(pk, record, Change.CHANGED) for pk, record in plan.changed]
        + [(pk, record, Change.ADDED) for pk, record in plan.relisted]
        + [(pk, record, Change.CHANGED) for pk, record in plan.merged]
        + [(pk, record, Change.CHANGED) for pk, record in plan.paired]
    )
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        entities = Entity.objects.prefetch_related("aliases", "addresses").in_bulk([pk for pk, _, _ in batch])
        for pk, _, _ in batch:
            entities[pk].added_by_hand = False
            entities[pk].not_in_source_since = None
        changed = update_entities(
            [(entities[pk], record) for pk, record, _ in batch],
            version=version,
            actor=actor,
            reason=reason,
            hashes=plan.hashes,
        )
        changes.extend((pk, change, fields) for (pk, _, change), fields in zip(batch, changed, strict=True))
        done += len(batch)
        progress("Writing", done, total)

    # Removals: end-dated, never deleted, so past decisions replay against them.
    for start in range(0, len(plan.removed), BATCH):
        removed = list(Entity.objects.filter(pk__in=plan.removed[start : start + BATCH]))
        delist_entities(removed, version=version, actor=actor, reason=f"Not in import of {label}")
        changes.extend((entity.pk, Change.REMOVED, ["delisted_on"]) for entity in removed)
        done += len(removed)
        progress("Writing", done, total)
    return changes


def _mark_not_carried(entity_ids: Sequence[int], *, version: ListVersion | None, actor: User | None) -> None:
    """Hand-added entries the official file does not carry stay listed, marked for an admin.

    Not a list change (screening is unaffected), so no list version records it; the entity's
    own history does, attributed to whoever ran the import.
    """
    rows = list(Entity.objects.filter(pk__in=list(entity_ids), not_in_source_since__isnull=True))
    for row in rows:
        row.not_in_source_since = version
    if rows and version is not None:
        update_with_history(
            rows,
            ["not_in_source_since"],
            user=actor if actor is not None and actor.pk else None,
            reason=f"Added by hand; not in the official list as of version {version.number}",
        )
