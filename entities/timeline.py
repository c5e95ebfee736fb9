"""One entity's history as people read it: who changed what, when, why, in which list version.

The rows come from django-simple-history (the entity's, its aliases' and its addresses'). An edit
saves the entity first and then rewrites its aliases and addresses in the same transaction, so a
child row belongs to the latest entity row recorded at or before it. Rewritten children appear as
removed-and-added; only the net difference is shown, so an untouched alias is not reported.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from entities.models import Address, Alias, Entity, EntityType, LicensePolicy

# Bookkeeping columns that change on every save and say nothing to a reader.
NOISE_FIELDS = ["content_hash", "updated_at", "created_at", "last_version", "first_version"]
KINDS = {"+": "created", "~": "changed", "-": "deleted"}
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "license_policy": dict(LicensePolicy.choices),
    "entity_type": dict(EntityType.choices),
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEvent:
    when: datetime
    who: str
    why: str
    kind: str
    version: int | None
    changes: list[FieldChange] = field(default_factory=list)
    aliases_added: list[str] = field(default_factory=list)
    aliases_removed: list[str] = field(default_factory=list)
    addresses_added: list[str] = field(default_factory=list)
    addresses_removed: list[str] = field(default_factory=list)


def _show(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(str(value), str(value))
    return str(value)


def address_line(row: Any) -> str:
    """An address (row or historical row) on one line, as the detail page lists it."""
    parts = [row.address, row.city, row.state, row.postal_code, row.country]
    return ", ".join(p for p in parts if p)


def entity_timeline(entity: Entity, *, start: int = 0, stop: int | None = None) -> list[HistoryEvent]:
    """The entity's history, newest first, in three queries whatever its length.

    `start` and `stop` slice the newest-first timeline (as `[start:stop]` would), reading only
    the history rows of that window, one row either side, and the alias and address rows
    recorded between those neighbours: a page of an entity changed by every import of many
    years costs what a page of a new entity does.
    """
    if start < 0 or (stop is not None and stop < start):
        raise ValueError("the window is [start:stop] with 0 <= start <= stop")
    if stop == start:
        return []
    newest_first = entity.history.select_related("history_user", "last_version").order_by(  # type: ignore[attr-defined]
        "-history_date", "-history_id"
    )
    # The row just newer than the window bounds which child rows belong to it; the row just
    # older is what the window's oldest event is compared with.
    first = max(start - 1, 0)
    fetched = list(newest_first[first:] if stop is None else newest_first[first : stop + 1])
    newer = fetched.pop(0) if start > 0 and fetched else None
    size = len(fetched) if stop is None else stop - start
    window, older = fetched[:size], (fetched[size] if len(fetched) > size else None)
    if not window:
        return []
    rows = list(reversed(window))  # oldest first, as the diffs read

    events: list[HistoryEvent] = []
    previous = older
    for row in rows:
        event = HistoryEvent(
            when=row.history_date,
            who=row.history_user.username if row.history_user else "unknown",
            why=row.history_change_reason or "",
            kind=KINDS.get(row.history_type, row.history_type),
            version=row.last_version.number if row.last_version else None,
        )
        if previous is not None and row.history_type == "~":
            delta = row.diff_against(previous, excluded_fields=NOISE_FIELDS)
            for change in delta.changes:
                label = str(getattr(Entity._meta.get_field(change.field), "verbose_name", change.field))
                event.changes.append(
                    FieldChange(change.field, label, _show(change.field, change.old), _show(change.field, change.new))
                )
        events.append(event)
        previous = row

    starts = [e.when for e in events]

    def owner(when: datetime) -> int:
        return max(bisect.bisect_right(starts, when) - 1, 0)

    # A child row belongs to the latest entity row recorded at or before it: those of the window
    # are recorded from its oldest row (or from the beginning, if that is the entity's first
    # row) up to, not including, the row just newer than the window.
    bounds: dict[str, datetime] = {}
    if older is not None:
        bounds["history_date__gte"] = rows[0].history_date
    if newer is not None:
        bounds["history_date__lt"] = newer.history_date
    added: dict[tuple[int, str], Counter[str]] = {}
    removed: dict[tuple[int, str], Counter[str]] = {}
    children = [
        ("aliases", Alias.history, lambda r: r.name),  # type: ignore[attr-defined]
        ("addresses", Address.history, address_line),  # type: ignore[attr-defined]
    ]
    for kind, manager, show in children:
        queryset = manager.filter(entity_id=entity.pk, history_type__in=["+", "-"], **bounds)
        for child in queryset.order_by("history_date", "history_id"):
            target = added if child.history_type == "+" else removed
            target.setdefault((owner(child.history_date), kind), Counter())[show(child)] += 1

    for index, event in enumerate(events):
        for kind in ("aliases", "addresses"):
            plus = added.get((index, kind), Counter())
            minus = removed.get((index, kind), Counter())
            setattr(event, f"{kind}_added", sorted((plus - minus).elements()))
            setattr(event, f"{kind}_removed", sorted((minus - plus).elements()))
    events.reverse()
    return events


class EntityTimeline(Sequence[HistoryEvent]):
    """An entity's timeline that reads only the slice asked for, so Django's Paginator (and
    DRF's pagination, which uses it) can page through it: its length is one COUNT query."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity

    def __len__(self) -> int:
        return int(self.entity.history.count())  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[HistoryEvent]:
        # Sequence would otherwise iterate by index, a timeline read per event.
        return iter(entity_timeline(self.entity))

    @overload
    def __getitem__(self, index: int) -> HistoryEvent: ...
    @overload
    def __getitem__(self, index: slice) -> list[HistoryEvent]: ...
    def __getitem__(self, index: int | slice) -> HistoryEvent | list[HistoryEvent]:
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop is not None and index.stop < 0):
                raise ValueError("only forward slices from the newest event are supported")
            start = index.start or 0
            return entity_timeline(
                self.entity, start=start, stop=max(index.stop, start) if index.stop is not None else None
            )
        if index < 0:
            raise IndexError("negative indexes are not supported")
        events = entity_timeline(self.entity, start=index, stop=index + 1)
        if not events:
            raise IndexError(index)
        return events[0]
