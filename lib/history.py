"""History is append-only: the audit trail may gain rows, never lose or change one.

Proving "who decided what, when, on which list version" years later only works if nothing in the
product can rewrite the record. Every simple-history model gets a guard that refuses updates and
deletes made through the ORM (pages, API, admin, tasks alike). Bulk `QuerySet.update()` bypasses
signals; no product code calls it on historical models, and tests/test_security.py keeps it so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models
from django.db.models.signals import pre_delete, pre_save
from django.utils import timezone
from simple_history.models import HistoricalChanges

# simple-history keeps change reasons in a 100-character column; rationales live on the rows.
REASON_MAX = 100


def short(reason: str) -> str:
    """A change reason cut to the history column, marked with an ellipsis when cut."""
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


def attribute(obj: models.Model, actor: AbstractBaseUser | AnonymousUser | None, reason: str) -> None:
    """Say who made the next save or delete of `obj` and why, for its history row.

    A user without a primary key (anonymous, unsaved) is recorded as no one rather than failing.
    """
    obj._history_user = actor if actor is not None and actor.pk else None  # type: ignore[attr-defined]
    obj._change_reason = short(reason)  # type: ignore[attr-defined]


class HistoryIsAppendOnly(Exception):
    """Raised when code tries to edit or delete an audit-trail row."""


def historical_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]


def _refuse_update(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance._state.adding:
        return
    raise HistoryIsAppendOnly(f"{sender.__name__} rows are append-only; record a new change instead.")


def _refuse_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    raise HistoryIsAppendOnly(f"{sender.__name__} rows are append-only and are never deleted.")


def guard_history() -> None:
    for model in historical_models():
        pre_save.connect(_refuse_update, sender=model, dispatch_uid=f"append-only-save-{model._meta.label}")
        pre_delete.connect(_refuse_delete, sender=model, dispatch_uid=f"append-only-delete-{model._meta.label}")


def save_with_history(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of each object, and one history row per object, in few statements.

    For services that change many rows at once (re-screening). Django's `bulk_update` builds a
    CASE expression per field and row in Python, seconds for a few hundred rows; an UPDATE per
    row by primary key costs a fraction of that, and the history rows go in one INSERT. Each
    object's `_history_user` and `_change_reason` are honoured, as `save()` would.
    """
    if not objs:
        return
    model = type(objs[0])
    manager = model._default_manager
    for obj in objs:
        manager.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in fields})
    model.history.bulk_history_create(objs, update=True)  # type: ignore[attr-defined]


# --- Bulk writes with their history ----------------------------------------------------------
#
# An import writes tens of thousands of rows, each with a history row. Building a model instance
# per row and letting Django compile an INSERT costs about 50 times a PostgreSQL COPY of the same
# values (bench/import_list.py), so on PostgreSQL rows and their history rows are COPYed with
# primary keys taken from the table's own sequence. The history rows carry exactly what
# simple-history's `bulk_history_create` would write (every tracked column, `history_date`,
# `history_type`, `history_user`, `history_change_reason`): the audit trail is the same, only
# cheaper to write. Other databases (SQLite in development) take Django's `bulk_create`.

Row = dict[str, Any]
COPY_BATCH = 2000


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value goes into COPY's text format, when psycopg's own adaptation will not do."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value: Any) -> str | None:
            if value is None:
                return None
            # Most JSON columns of a list entry are empty lists.
            return "[]" if value == [] else json.dumps(value, cls=encoder)

        return to_json
    return None


def _complete(model: type[models.Model], rows: Sequence[Row], now: datetime) -> list[models.Field[Any, Any]]:
    """Fill in defaults and auto_now timestamps the way `Model.save()` would; the columns written."""
    first = rows[0]
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                row.setdefault(field.attname, now)
        elif any(field.attname not in row for row in rows):
            default = field.get_default()
            for row in rows:
                row.setdefault(field.attname, default)
    return fields


def _allocate_ids(model: type[models.Model], count: int) -> list[int]:
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _history_extra(history_type: str, user: AbstractBaseUser | None, reason: str) -> Row:
    return {
        "history_date": timezone.now(),
        "history_type": history_type,
        "history_user_id": user.pk if user is not None and user.pk else None,
        "history_change_reason": short(reason),
    }


def _write(model: type[models.Model], rows: Sequence[Row], history: Row | None) -> list[int]:
    """INSERT `rows` and, when `history` holds the history columns, a history row for each."""
    if not rows:
        return []
    pk = model._meta.pk
    assert pk is not None
    fields = _complete(model, rows, timezone.now())
    history_model: type[models.Model] | None = model.history.model if history is not None else None  # type: ignore[attr-defined]
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=COPY_BATCH)
        for row, obj in zip(rows, objs, strict=True):
            row[pk.attname] = obj.pk
        if history_model is not None and history is not None:
            tracked = {f.attname for f in history_model._meta.concrete_fields}
            history_model._default_manager.bulk_create(
                [history_model(**{k: v for k, v in row.items() if k in tracked}, **history) for row in rows],
                batch_size=COPY_BATCH,
            )
        return [obj.pk for obj in objs]
    if pk.attname not in rows[0]:
        for row, new_id in zip(rows, _allocate_ids(model, len(rows)), strict=True):
            row[pk.attname] = new_id
        fields = [pk, *fields]
    names = [f.attname for f in fields]
    converters = [(i, fn) for i, fn in enumerate(_converter(f) for f in fields) if fn is not None]
    values: list[list[Any]] = []
    for row in rows:
        value = [row[name] for name in names]
        for i, fn in converters:
            value[i] = fn(value[i])
        values.append(value)
    columns = [str(f.column) for f in fields]
    _copy(model._meta.db_table, columns, values)
    if history_model is not None and history is not None:
        # The history table has the same columns as the model's (simple-history copies them) and
        # its own; its key, history_id, comes from its identity column.
        by_name = {f.attname: str(f.column) for f in history_model._meta.concrete_fields}
        tracked = set(by_name.values())
        keep = [i for i, column in enumerate(columns) if column in tracked]
        extra = list(history.values())
        _copy(
            history_model._meta.db_table,
            [columns[i] for i in keep] + [by_name[name] for name in history],
            ([value[i] for i in keep] + extra for value in values),
        )
    return [row[pk.attname] for row in rows]


def insert_rows(model: type[models.Model], rows: Sequence[Row]) -> list[int]:
    """INSERT `rows` (attribute name -> value, no signals, no history); returns their primary keys.

    For tables written in bulk that have no history of their own (a version's change records).
    The rows are completed in place (defaults, timestamps, and the primary key).
    """
    return _write(model, rows, None)


def insert_with_history(
    model: type[models.Model], rows: Sequence[Row], *, user: AbstractBaseUser | None, reason: str
) -> list[int]:
    """Create rows of a history-tracked model and their "+" history rows; returns the new keys."""
    return _write(model, rows, _history_extra("+", user, reason))


def insert_history(
    model: type[models.Model],
    rows: Sequence[Row],
    *,
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
) -> None:
    """One history row per existing row of `model` (its column values by attribute name).

    `history_type` is simple-history's "~" (changed) or "-" (deleted).
    """
    if rows:
        history_model: type[models.Model] = model.history.model  # type: ignore[attr-defined]
        tracked = {f.attname for f in history_model._meta.concrete_fields}
        extra = _history_extra(history_type, user, reason)
        _write(history_model, [{k: v for k, v in row.items() if k in tracked} | extra for row in rows], None)


def instance_row(obj: models.Model) -> Row:
    """The column values of a model instance by attribute name (for `insert_history`)."""
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
