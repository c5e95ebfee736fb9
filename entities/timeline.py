"""One entity's history as people read it: who changed what, when, why, in which list version.

The rows come from django-simple-history (the entity's, its aliases' and its addresses'). An edit
saves the entity first and then rewrites its aliases and addresses in the same transaction, so a
child row belongs to the latest entity row recorded at or before it. Rewritten children appear as
removed-and-added; only the net difference is shown, so an untouched alias is not reported.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def entity_timeline(entity: Entity) -> list[HistoryEvent]:
    """The entity's history, newest first, in three queries whatever its length."""
    rows = list(
        entity.history.select_related("history_user", "last_version").order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    if not rows:
        return []
    events: list[HistoryEvent] = []
    previous = None
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

    added: dict[tuple[int, str], Counter[str]] = {}
    removed: dict[tuple[int, str], Counter[str]] = {}
    children = [
        ("aliases", Alias.history.filter(entity_id=entity.pk), lambda r: r.name),  # type: ignore[attr-defined]
        ("addresses", Address.history.filter(entity_id=entity.pk), address_line),  # type: ignore[attr-defined]
    ]
    for kind, queryset, show in children:
        for child in queryset.order_by("history_date", "history_id"):
            if child.history_type not in {"+", "-"}:
                continue
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
