"""Import a whole list file: parse and validate everything, then write the delta in one version.

An import is authoritative for the source lists it contains: records of those lists missing from
the file are delisted (end-dated, never deleted); other lists are untouched. Records are matched
across versions by their stable key and compared by content hash, so a re-import of the same file
reads two columns and writes nothing.

A re-import that changes nothing records no list version: a version is a change to the list,
and re-screening is triggered per version. The result says so (`version_number` is None).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from entities.importers.common import ImportFormatError, ParsedList, ProgressCallback, no_progress
from entities.importers.csl import parse_csv, parse_json
from entities.importers.ofac import parse_ofac
from entities.models import Address, Alias, Entity, ListVersion, ListVersionChange
from entities.records import EntityRecord
from entities.services import begin_version, finish_version, record_from_entity

FORMATS = ("csl-csv", "csl-json", "ofac-sdn")
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
    if head[:1] in (b"{", b"["):
        return "csl-json"
    if head.startswith((b"_id,", b'"_id"')) or b",source," in head.split(b"\n", 1)[0]:
        return "csl-csv"
    if head[:1].isdigit() and "sdn" in path.name.lower():
        return "ofac-sdn"
    raise ImportFormatError(path, 1, "unrecognised format: not CSL CSV, CSL JSON or an OFAC sdn file")


def parse_list(path: Path, fmt: str, progress: ProgressCallback = no_progress) -> ParsedList:
    if fmt == "csl-csv":
        return parse_csv(path, progress)
    if fmt == "csl-json":
        return parse_json(path, progress)
    if fmt == "ofac-sdn":
        return parse_ofac(path, progress)
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

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        name = Path(self.path).name
        counts = (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.unchanged} unchanged "
            f"({', '.join(self.sources)}) in {self.seconds:.1f} s"
        )
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
) -> ImportResult:
    """Import a list file as one numbered, attributed list version (or report what it would do).

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
        _lock_list()
        plan, current = _classify(parsed)
        result = ImportResult(
            path=file_label,
            fmt=fmt,
            sources=sorted(parsed.sources),
            added=len(plan.added) + len(plan.relisted),
            changed=len(plan.changed),
            removed=len(plan.removed),
            unchanged=plan.unchanged,
            version_number=None,
            dry_run=dry_run,
            duplicates=parsed.duplicates,
            warnings=parsed.warnings,
        )
        if dry_run or not result.has_changes:
            _describe(result, plan, current)
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
            result.version_number = version.number
    result.seconds = time.perf_counter() - started
    return result


def _lock_list() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE entities_listversion IN EXCLUSIVE MODE")


def _classify(parsed: ParsedList) -> tuple[_Plan, dict[str, tuple[int, str, date | None]]]:
    current = {
        key: (pk, digest, delisted_on)
        for key, pk, digest, delisted_on in Entity.objects.filter(source__in=list(parsed.sources)).values_list(
            "key", "id", "content_hash", "delisted_on"
        )
    }
    plan = _Plan()
    seen: set[str] = set()
    for record in parsed.records:
        seen.add(record.key)
        plan.hashes[record.key] = record.content_hash()
        existing = current.get(record.key)
        if existing is None:
            plan.added.append(record)
            continue
        pk, digest, delisted_on = existing
        if delisted_on is not None:
            # Back on the list: for screening this is an addition, of the same entity row.
            plan.relisted.append((pk, record))
        elif digest != plan.hashes[record.key]:
            plan.changed.append((pk, record))
        else:
            plan.unchanged += 1
    plan.removed = sorted(pk for key, (pk, _, delisted_on) in current.items() if key not in seen and not delisted_on)
    return plan, current


def _describe(result: ImportResult, plan: _Plan, current: dict[str, tuple[int, str, date | None]]) -> None:
    """Fill in the names a dry run (or a no-op) shows, without writing."""
    result.added_names = [r.name for r in plan.added[:DIFF_LIMIT]] + [
        f"{r.name} (back on the list)" for _, r in plan.relisted[: max(0, DIFF_LIMIT - len(plan.added))]
    ]
    shown = plan.changed[:DIFF_LIMIT]
    entities = Entity.objects.prefetch_related("aliases", "addresses").in_bulk([pk for pk, _ in shown])
    result.changed_names = [
        f"{record.name}: {', '.join(record.changed_fields(record_from_entity(entities[pk])))}" for pk, record in shown
    ]
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
    user = actor if actor is not None and actor.pk else None
    now = timezone.now()
    total = len(plan.added) + len(plan.relisted) + len(plan.changed) + len(plan.removed)
    done = 0
    changes: list[tuple[int, str, list[str]]] = []

    # Additions: entity rows, then their aliases and addresses, each with history in bulk.
    for start in range(0, len(plan.added), BATCH):
        added = plan.added[start : start + BATCH]
        new_rows = [_new_entity(record, plan.hashes[record.key], version) for record in added]
        bulk_create_with_history(new_rows, Entity, batch_size=BATCH, default_user=user, default_change_reason=reason)
        _create_children(list(zip(new_rows, added, strict=True)), user=user, reason=reason, when=now)
        changes.extend((row.pk, Change.ADDED, []) for row in new_rows)
        done += len(added)
        progress("Writing", done, total)

    # Changes and re-listings: update the row, replace its aliases and addresses.
    updates = [(pk, record, Change.CHANGED) for pk, record in plan.changed] + [
        (pk, record, Change.ADDED) for pk, record in plan.relisted
    ]
    update_fields = [*EntityRecord.__dataclass_fields__.keys() - {"aliases", "addresses"}]
    update_fields += ["content_hash", "last_version", "delisted_on", "delisted_reason", "updated_at"]
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        entities = Entity.objects.prefetch_related("aliases", "addresses").in_bulk([pk for pk, _, _ in batch])
        rows: list[Entity] = []
        for pk, record, change in batch:
            entity = entities[pk]
            changed_fields = record.changed_fields(record_from_entity(entity))
            if change == Change.ADDED:
                changed_fields = ["delisted_on", *changed_fields]
            for name, value in record.entity_fields().items():
                setattr(entity, name, value)
            entity.content_hash = plan.hashes[record.key]
            entity.last_version = version
            entity.delisted_on = None
            entity.delisted_reason = ""
            entity.updated_at = now
            rows.append(entity)
            changes.append((pk, change, changed_fields))
        _update_with_history(rows, update_fields, user=user, reason=reason)
        _delete_children([pk for pk, _, _ in batch], user=user, reason=reason, when=now)
        _create_children([(entities[pk], record) for pk, record, _ in batch], user=user, reason=reason, when=now)
        done += len(batch)
        progress("Writing", done, total)

    # Removals: end-dated, never deleted, so past decisions replay against them.
    today = timezone.localdate()
    for start in range(0, len(plan.removed), BATCH):
        batch_ids = plan.removed[start : start + BATCH]
        removed = list(Entity.objects.filter(pk__in=batch_ids))
        for entity in removed:
            entity.delisted_on = today
            entity.delisted_reason = f"Not in import of {label}"
            entity.last_version = version
            entity.updated_at = now
        _update_with_history(
            removed, ["delisted_on", "delisted_reason", "last_version", "updated_at"], user=user, reason=reason
        )
        changes.extend((entity.pk, Change.REMOVED, ["delisted_on"]) for entity in removed)
        done += len(batch_ids)
        progress("Writing", done, total)
    return changes


def _update_with_history(rows: Sequence[Entity], field_names: Sequence[str], *, user: User | None, reason: str) -> None:
    """bulk_update_with_history, without QuerySet.bulk_update's CASE expressions.

    Django builds one CASE WHEN per field and row, which took minutes for 10,000 changed records;
    one parameterised UPDATE per row, sent with psycopg's pipelined executemany, takes about a second.
    """
    if not rows:
        return
    model_fields = [cast("Field[Any, Any]", Entity._meta.get_field(name)) for name in field_names]
    columns = ", ".join(f"{connection.ops.quote_name(str(f.column))} = %s" for f in model_fields)
    sql = f"UPDATE {connection.ops.quote_name(Entity._meta.db_table)} SET {columns} WHERE id = %s"
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in model_fields] + [row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    Entity.history.bulk_history_create(  # type: ignore[attr-defined]
        rows, batch_size=BATCH, update=True, default_user=user, default_change_reason=reason
    )


def _new_entity(record: EntityRecord, digest: str, version: ListVersion) -> Entity:
    entity = Entity(**record.entity_fields())
    entity.content_hash = digest
    entity.first_version = version
    entity.last_version = version
    return entity


def _create_children(
    pairs: Sequence[tuple[Entity, EntityRecord]], *, user: User | None, reason: str, when: object
) -> None:
    aliases = [Alias(entity=e, name=name) for e, r in pairs for name in r.aliases]
    addresses = [
        Address(entity=e, address=a.address, city=a.city, state=a.state, postal_code=a.postal_code, country=a.country)
        for e, r in pairs
        for a in r.addresses
    ]
    if aliases:
        bulk_create_with_history(aliases, Alias, batch_size=BATCH, default_user=user, default_change_reason=reason)
    if addresses:
        bulk_create_with_history(addresses, Address, batch_size=BATCH, default_user=user, default_change_reason=reason)


def _delete_children(entity_ids: Sequence[int], *, user: User | None, reason: str, when: object) -> None:
    """Delete aliases and addresses with a "-" history row each, in bulk.

    QuerySet.delete() would fire one post_delete (and one history INSERT) per row.
    """
    for model in (Alias, Address):
        queryset = model._default_manager.filter(entity_id__in=entity_ids)
        history_model = model.history.model  # type: ignore[attr-defined]
        concrete = [f.attname for f in model._meta.concrete_fields]
        history_rows = [
            history_model(
                **values,
                history_date=when,
                history_type="-",
                history_user=user,
                history_change_reason=reason,
            )
            for values in queryset.values(*concrete)
        ]
        history_model.objects.bulk_create(history_rows, batch_size=BATCH)
        queryset._raw_delete(queryset.db)
