"""History is append-only: the audit trail may gain rows, never lose or change one.

Proving "who decided what, when, on which list version" years later only works if nothing in the
product can rewrite the record. Every simple-history model gets a guard that refuses updates and
deletes made through the ORM (pages, API, admin, tasks alike). Bulk `QuerySet.update()` bypasses
signals; no product code calls it on historical models, and tests/test_security.py keeps it so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models.signals import pre_delete, pre_save
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
