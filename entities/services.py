"""Every write to the list goes through here: each one is a numbered, attributed ListVersion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from entities.models import Address, Alias, Entity, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord

# Sent inside the transaction that records a version (after its changes are written), so a
# receiver can write its own rows atomically with the list change, e.g. a re-screen outbox row.
list_version_recorded = Signal()

Change = ListVersionChange.Change


def begin_version(
    *,
    actor: User | None,
    kind: str,
    reason: str = "",
    source_file: str = "",
    sources: Sequence[str] = (),
) -> ListVersion:
    """Open the next numbered version. Must run inside a transaction.

    List changes are serialised: the table lock makes version numbers gapless and in commit order,
    which re-screening relies on ("screened against version N" means everything up to N).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("begin_version() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE entities_listversion IN EXCLUSIVE MODE")
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
        ListVersionChange(version=version, entity_id=entity_id, change=change, changed_fields=changed)
        for entity_id, change, changed in changes
    ]
    ListVersionChange.objects.bulk_create(rows, batch_size=2000)
    version.added_count = sum(1 for r in rows if r.change == Change.ADDED)
    version.changed_count = sum(1 for r in rows if r.change == Change.CHANGED)
    version.removed_count = sum(1 for r in rows if r.change == Change.REMOVED)
    version._history_user = version.created_by  # type: ignore[attr-defined]
    version.save(update_fields=["added_count", "changed_count", "removed_count"])
    list_version_recorded.send(sender=ListVersion, version=version)
    return version


def record_from_entity(entity: Entity) -> EntityRecord:
    """The record an entity row currently holds (the inverse of `write_entity`)."""
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


def write_entity(
    entity: Entity,
    record: EntityRecord,
    *,
    version: ListVersion,
    actor: User | None,
    reason: str,
    replace_children: bool = True,
) -> Entity:
    """Copy a record onto an entity row (new or existing) with attributed history."""
    for name, value in record.entity_fields().items():
        setattr(entity, name, value)
    entity.content_hash = record.content_hash()
    entity.last_version = version
    if entity.first_version_id is None:
        entity.first_version = version
    entity._history_user = actor  # type: ignore[attr-defined]
    entity._change_reason = reason  # type: ignore[attr-defined]
    entity.save()
    if replace_children:
        for child in [*entity.aliases.all(), *entity.addresses.all()]:
            child._history_user = actor  # type: ignore[attr-defined]
            child._change_reason = reason  # type: ignore[attr-defined]
            child.delete()
        _create_children([(entity, record)], actor=actor, reason=reason)
    return entity


def _create_children(pairs: Sequence[tuple[Entity, EntityRecord]], *, actor: User | None, reason: str) -> None:
    aliases = [Alias(entity=e, name=name) for e, r in pairs for name in r.aliases]
    addresses = [
        Address(entity=e, address=a.address, city=a.city, state=a.state, postal_code=a.postal_code, country=a.country)
        for e, r in pairs
        for a in r.addresses
    ]
    user = actor if actor is not None and actor.pk else None
    if aliases:
        bulk_create_with_history(aliases, Alias, batch_size=2000, default_user=user, default_change_reason=reason)
    if addresses:
        bulk_create_with_history(addresses, Address, batch_size=2000, default_user=user, default_change_reason=reason)


def manual_key(*, source: str, name: str, country: str) -> str:
    """The stable key of an entity added by hand: it never changes when the entity is edited later.

    Case and spacing are folded so "ACME  Ltd" and "Acme Ltd" from the same source and country are
    recognised as the same party instead of being listed twice.
    """
    folded = " ".join(name.casefold().split())
    return f"manual:{source.strip().upper()}:{folded}:{country.strip().upper()}"


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: every change to the list keeps its reason."})
    return reason


@transaction.atomic
def create_entity(*, actor: User, record: EntityRecord, reason: str) -> Entity:
    """Add one party to the list by hand; the addition is its own list version."""
    reason = _require_reason(reason)
    if Entity.objects.filter(key=record.key).exists():
        raise ValidationError({"name": "An entity with this name, source and country is already listed."})
    version = begin_version(actor=actor, kind=ListVersion.Kind.CREATE, reason=reason)
    entity = write_entity(Entity(), record, version=version, actor=actor, reason=reason)
    finish_version(version, [(entity.pk, Change.ADDED, [])])
    return entity


@transaction.atomic
def update_entity(*, actor: User, entity: Entity, record: EntityRecord, reason: str) -> Entity:
    """Edit one listed party; an edit that changes nothing is refused rather than versioned."""
    reason = _require_reason(reason)
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    if not entity.is_active:
        raise ValidationError("A delisted entity cannot be edited; it is kept as it was when delisted.")
    current = record_from_entity(entity)
    record = EntityRecord(**{**record.__dict__, "key": entity.key})
    changed = record.changed_fields(current)
    if not changed:
        raise ValidationError("Nothing changed.")
    version = begin_version(actor=actor, kind=ListVersion.Kind.EDIT, reason=reason)
    children_changed = bool({"aliases", "addresses"} & set(changed))
    write_entity(entity, record, version=version, actor=actor, reason=reason, replace_children=children_changed)
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
    mark_delisted(entity, version=version, actor=actor, reason=reason, on=on)
    finish_version(version, [(entity.pk, Change.REMOVED, ["delisted_on"])])
    return entity


def mark_delisted(
    entity: Entity, *, version: ListVersion, actor: User | None, reason: str, on: date | None = None
) -> None:
    entity.delisted_on = on or timezone.localdate()
    entity.delisted_reason = reason
    entity.last_version = version
    entity._history_user = actor  # type: ignore[attr-defined]
    entity._change_reason = reason  # type: ignore[attr-defined]
    entity.save(update_fields=["delisted_on", "delisted_reason", "last_version", "updated_at"])
