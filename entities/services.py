"""Every write to the list goes through here: each one is a numbered, attributed ListVersion.

One write path for one entry edited in the browser and for 14,000 records of an import alike:
`add_entities`, `update_entities` and `delist_entities` write rows, their aliases and addresses,
and a history row for each, in bulk; the single-entry services below are the same calls with one
record. Keys come from `entities.keys`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field
from django.dispatch import Signal
from django.utils import timezone

from entities.keys import name_key
from entities.models import Address, Alias, Entity, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord
from lib.history import insert_history, insert_rows, insert_with_history, instance_row

# Sent inside the transaction that records a version (after its changes are written), so a
# receiver can write its own rows atomically with the list change, e.g. a re-screen outbox row.
list_version_recorded = Signal()

Change = ListVersionChange.Change
BATCH = 2000
# Written when a record is copied onto an existing row (the record's own fields, and these).
UPDATE_FIELDS = [
    *(f for f in EntityRecord.__dataclass_fields__ if f not in {"aliases", "addresses"}),
    "content_hash",
    "last_version",
    "delisted_on",
    "delisted_reason",
    "added_by_hand",
    "not_in_source_since",
    "updated_at",
]


def lock_list() -> None:
    """Serialise list changes: version numbers stay gapless and in commit order, which
    re-screening relies on ("screened against version N" means everything up to N), and an
    import computes its delta against the list it is applied to. Inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE entities_listversion IN EXCLUSIVE MODE")


def begin_version(
    *,
    actor: User | None,
    kind: str,
    reason: str = "",
    source_file: str = "",
    sources: Sequence[str] = (),
) -> ListVersion:
    """Open the next numbered version. Must run inside a transaction (see `lock_list`)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("begin_version() must run inside transaction.atomic()")
    lock_list()
    version = ListVersion(
        number=ListVersion.current_number() + 1,
        kind=kind,
        created_by=actor if actor is not None and actor.pk else None,
        reason=reason,
        source_file=source_file,
        sources=list(sources),
    )
    version._history_user = version.created_by  # type: ignore[attr-defined]
    version.save()
    return version


def finish_version(version: ListVersion, changes: Iterable[tuple[int, str, list[str]]]) -> ListVersion:
    """Store what the version did (entity id, change, changed fields) and announce it."""
    rows = [
        {"version_id": version.pk, "entity_id": entity_id, "change": change, "changed_fields": changed}
        for entity_id, change, changed in changes
    ]
    for start in range(0, len(rows), BATCH):
        insert_rows(ListVersionChange, rows[start : start + BATCH])
    version.added_count = sum(1 for r in rows if r["change"] == Change.ADDED)
    version.changed_count = sum(1 for r in rows if r["change"] == Change.CHANGED)
    version.removed_count = sum(1 for r in rows if r["change"] == Change.REMOVED)
    version._history_user = version.created_by  # type: ignore[attr-defined]
    version.save(update_fields=["added_count", "changed_count", "removed_count"])
    list_version_recorded.send(sender=ListVersion, version=version)
    return version


def record_from_entity(entity: Entity) -> EntityRecord:
    """The record an entity row currently holds (the inverse of writing it)."""
    values = {
        name: (tuple(value) if isinstance(value, list) else value)
        for name, value in (
            (f, getattr(entity, f)) for f in EntityRecord.__dataclass_fields__ if f not in {"aliases", "addresses"}
        )
    }
    return EntityRecord(
        **values,  # type: ignore[arg-type]
        aliases=tuple(a.name for a in entity.aliases.all()),
        addresses=tuple(
            AddressRecord(address=a.address, city=a.city, state=a.state, postal_code=a.postal_code, country=a.country)
            for a in entity.addresses.all()
        ),
    )


# --- The write path ---------------------------------------------------------------------------


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def add_entities(
    records: Sequence[EntityRecord],
    *,
    version: ListVersion,
    actor: User | None,
    reason: str,
    by_hand: bool = False,
    hashes: Mapping[str, str] | None = None,
) -> list[int]:
    """New rows for `records`, their aliases and addresses, each with a history row, in bulk;
    returns the new rows' ids in the order of `records`.

    `hashes` are the records' content hashes when the caller has them already (an import).
    """
    user = _user(actor)
    ids: list[int] = []
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        rows = [
            record.entity_fields()
            | {
                "content_hash": hashes[record.key] if hashes else record.content_hash(),
                "first_version_id": version.pk,
                "last_version_id": version.pk,
                "added_by_hand": by_hand,
            }
            for record in batch
        ]
        batch_ids = insert_with_history(Entity, rows, user=user, reason=reason)
        _create_children(list(zip(batch_ids, batch, strict=True)), user=user, reason=reason)
        ids.extend(batch_ids)
    return ids


def update_entities(
    pairs: Sequence[tuple[Entity, EntityRecord]],
    *,
    version: ListVersion,
    actor: User | None,
    reason: str,
    hashes: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Copy each record onto its row (aliases and addresses prefetched); returns each row's
    changed fields. A delisted row comes back on the list; its key becomes the record's.

    Aliases and addresses are replaced only where they changed, so an edit of a remark does not
    rewrite (and re-history) every alias.
    """
    user = _user(actor)
    now = timezone.now()
    changes: list[list[str]] = []
    replace: list[tuple[Entity, EntityRecord]] = []
    for entity, record in pairs:
        changed = record.changed_fields(record_from_entity(entity))
        if entity.delisted_on is not None:
            changed = ["delisted_on", *changed]
        if {"aliases", "addresses"} & set(changed):
            replace.append((entity, record))
        for name, value in record.entity_fields().items():
            setattr(entity, name, value)
        entity.content_hash = hashes[record.key] if hashes else record.content_hash()
        entity.last_version = version
        entity.delisted_on = None
        entity.delisted_reason = ""
        entity.updated_at = now
        changes.append(changed)
    rows = [entity for entity, _ in pairs]
    for start in range(0, len(rows), BATCH):
        update_with_history(rows[start : start + BATCH], UPDATE_FIELDS, user=user, reason=reason)
    _delete_children([entity.pk for entity, _ in replace], user=user, reason=reason)
    _create_children([(entity.pk, record) for entity, record in replace], user=user, reason=reason)
    return changes


def delist_entities(
    entities: Sequence[Entity], *, version: ListVersion, actor: User | None, reason: str, on: date | None = None
) -> None:
    """End-date rows (never delete them: old decisions must replay against them)."""
    now = timezone.now()
    for entity in entities:
        entity.delisted_on = on or timezone.localdate()
        entity.delisted_reason = reason
        entity.last_version = version
        entity.updated_at = now
    for start in range(0, len(entities), BATCH):
        update_with_history(
            entities[start : start + BATCH],
            ["delisted_on", "delisted_reason", "last_version", "updated_at"],
            user=_user(actor),
            reason=reason,
        )


def update_with_history(rows: Sequence[Entity], field_names: Sequence[str], *, user: User | None, reason: str) -> None:
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
    insert_history(Entity, [instance_row(row) for row in rows], history_type="~", user=user, reason=reason)


def _create_children(pairs: Sequence[tuple[int, EntityRecord]], *, user: User | None, reason: str) -> None:
    aliases = [{"entity_id": entity_id, "name": name} for entity_id, r in pairs for name in r.aliases]
    addresses = [
        {
            "entity_id": entity_id,
            "address": a.address,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
            "country": a.country,
        }
        for entity_id, r in pairs
        for a in r.addresses
    ]
    insert_with_history(Alias, aliases, user=user, reason=reason)
    insert_with_history(Address, addresses, user=user, reason=reason)


def _delete_children(entity_ids: Sequence[int], *, user: User | None, reason: str) -> None:
    """Delete aliases and addresses with a "-" history row each, in bulk.

    QuerySet.delete() would fire one post_delete (and one history INSERT) per row.
    """
    if not entity_ids:
        return
    for model in (Alias, Address):
        queryset = model._default_manager.filter(entity_id__in=entity_ids)
        concrete = [f.attname for f in model._meta.concrete_fields]
        insert_history(model, list(queryset.values(*concrete)), history_type="-", user=user, reason=reason)
        queryset._raw_delete(queryset.db)


def write_entity(
    entity: Entity, record: EntityRecord, *, version: ListVersion, actor: User | None, reason: str
) -> Entity:
    """Write one record: a new row if `entity` is unsaved, else onto it (fixtures, demo data)."""
    if entity.pk is None:
        [entity_id] = add_entities([record], version=version, actor=actor, reason=reason)
        return Entity.objects.get(pk=entity_id)
    update_entities([(entity, record)], version=version, actor=actor, reason=reason)
    return entity


# --- One entry at a time, in the browser and the API -----------------------------------------


def hand_added_record(record: EntityRecord) -> EntityRecord:
    """A record typed by an admin, keyed as an import of its source would key the same party."""
    country = next((a.country for a in record.addresses if a.country), "")
    return EntityRecord(**{**record.__dict__, "key": name_key(source=record.source, name=record.name, country=country)})


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: every change to the list keeps its reason."})
    return reason


@transaction.atomic
def create_entity(*, actor: User, record: EntityRecord, reason: str) -> Entity:
    """Add one party to the list by hand; the addition is its own list version."""
    reason = _require_reason(reason)
    record = hand_added_record(record)
    if Entity.objects.filter(key=record.key).exists():
        raise ValidationError({"name": "An entity with this name, source and country is already listed."})
    version = begin_version(actor=actor, kind=ListVersion.Kind.CREATE, reason=reason)
    [entity_id] = add_entities([record], version=version, actor=actor, reason=reason, by_hand=True)
    finish_version(version, [(entity_id, Change.ADDED, [])])
    return Entity.objects.get(pk=entity_id)


@transaction.atomic
def update_entity(*, actor: User, entity: Entity, record: EntityRecord, reason: str) -> Entity:
    """Edit one listed party; an edit that changes nothing is refused rather than versioned."""
    reason = _require_reason(reason)
    entity = Entity.objects.select_for_update().prefetch_related("aliases", "addresses").get(pk=entity.pk)
    if not entity.is_active:
        raise ValidationError("A delisted entity cannot be edited; it is kept as it was when delisted.")
    record = EntityRecord(**{**record.__dict__, "key": entity.key})
    if not record.changed_fields(record_from_entity(entity)):
        raise ValidationError("Nothing changed.")
    version = begin_version(actor=actor, kind=ListVersion.Kind.EDIT, reason=reason)
    [changed] = update_entities([(entity, record)], version=version, actor=actor, reason=reason)
    finish_version(version, [(entity.pk, Change.CHANGED, changed)])
    return entity


@transaction.atomic
def delist_entity(*, actor: User, entity: Entity, reason: str, on: date | None = None) -> Entity:
    """End-date a listed party (never delete it: old decisions must replay against it)."""
    reason = _require_reason(reason)
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    if not entity.is_active:
        raise ValidationError("This entity is already delisted.")
    version = begin_version(actor=actor, kind=ListVersion.Kind.DELIST, reason=reason)
    delist_entities([entity], version=version, actor=actor, reason=reason, on=on)
    finish_version(version, [(entity.pk, Change.REMOVED, ["delisted_on"])])
    return entity
