"""A case's timeline: every historical row of the request and what hangs off it, oldest first.

Rows come from django-simple-history: the application, its parties, items and documents, the
hits on its parties, its decision and its licence. Historical rows keep their foreign keys, so
parties and hits deleted or replaced later still show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from licensing.models import (
    Application,
    CaseNote,
    Decision,
    Document,
    Hit,
    Licence,
    LineItem,
    Party,
    Question,
    Shipment,
    SignOff,
)

NOISE_FIELDS = {
    "updated_at",
    "created_at",
    "total",
    "total_value",
    "determination",
    "explanation",
    "file",
    "reply_received_at",
    "status_reason",
}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class TimelineEvent:
    when: datetime
    actor: str
    subject: str
    action: str
    reason: str
    rationale: str = ""
    changes: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["when"] = self.when.isoformat()
        return data


def _actor(row: Any) -> str:
    user = row.history_user
    return user.get_username() if user is not None else "system"


# Bookkeeping the system keeps to do its job: never shown as a change (the events say it in words).
MACHINE_FIELDS = {"party_fingerprint", "entity_hash", "clock_stopped_at", "last_screened_version", "threshold"}
# The reviewers' side of a case: not shown to the applicant.
INTERNAL_FIELDS = {"needs_attention", "attention_reason", "assigned_to", "score", "matched_name", "list_version"}


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any] | None:
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:  # a field the model no longer has
        return None
    return found if isinstance(found, models.Field) else None


def _value(model: type[models.Model], name: str, value: Any, users: dict[int, str]) -> str:
    """A changed value as a person reads it: choice labels, usernames, yes/no, "—" for nothing."""
    if value is None or value == "":
        return "—"
    model_field = _field(model, name)
    if model_field is None:
        return str(value)
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))  # type: ignore[arg-type]
    related = model_field.related_model
    if model_field.is_relation and related is not None and related is get_user_model():
        return users.get(int(value), str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):  # to the minute, as the pages write times
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else f"{value:%Y-%m-%d %H:%M}"
        )
    return str(value)


def _label(model: type[models.Model], name: str) -> str:
    model_field = _field(model, name)
    return str(model_field.verbose_name) if model_field is not None else name.replace("_", " ")


def _changes(
    model: type[models.Model], row: Any, prev: Any | None, *, internal: bool, users: dict[int, str]
) -> list[dict[str, str]]:
    if prev is None or row.history_type != "~":
        return []
    delta = row.diff_against(prev)
    hidden = NOISE_FIELDS | MACHINE_FIELDS | (set() if internal else INTERNAL_FIELDS)
    return [
        {
            "field": c.field,
            "label": _label(model, c.field),
            "old": _value(model, c.field, c.old, users),
            "new": _value(model, c.field, c.new, users),
        }
        for c in delta.changes
        if c.field not in hidden
    ]


def _reason(reason: str, sentence: str) -> str:
    if not sentence or sentence.lower() in reason.lower():
        return reason
    return f"{reason}. {sentence}" if reason else sentence


def _screened_sentence(model: type[models.Model], row: Any, prev: Any | None) -> str:
    """A re-screening stamp in words: "Screened again against list version 12"."""
    if model is not Application or prev is None or row.last_screened_version == prev.last_screened_version:
        return ""
    if row.last_screened_version is None or prev.last_screened_version is None:
        return ""  # the first screening is the submission's own
    return f"Screened again against list version {row.last_screened_version}"


def _subject(model: type[models.Model], row: Any) -> str:
    if model is Application:
        # A draft has no reference yet; the request's story is told under the one it has now.
        reference = row.reference or Application.objects.filter(pk=row.id).values_list("reference", flat=True).first()
        return f"Request {reference}" if reference else "Draft request"
    if model is Party:
        return f"Party {row.name} ({row.get_role_display().lower()}, {row.country})"
    if model is LineItem:
        return f"Item {row.eccn} {row.description[:40]}"
    if model is Document:
        return f"Document {row.name}"
    if model is Hit:
        return f"Hit: {row.matched_name} ({row.score:.2f})"
    if model is Decision:
        return f"Decision: {row.get_outcome_display().lower()}"
    if model is Licence:
        return f"Licence {row.number or row.id}"
    if model is Question:
        return "Question to the applicant"
    if model is CaseNote:
        return "Note to the applicant" if row.visible_to_applicant else "Internal note"
    if model is SignOff:
        return "Approval for countersignature"
    if model is Shipment:
        return f"{row.get_kind_display()} {row.reference} ({row.shipped_on})"
    return str(model._meta.verbose_name)


def _rationale(model: type[models.Model], row: Any, prev: Any | None) -> str:
    if model is Decision:
        parts = [row.rationale]
        if row.conditions:
            parts.append(f"Conditions: {row.conditions}")
        if row.override_reason:
            parts.append(f"Override: {row.override_reason}")
        return "\n".join(parts)
    if model is Question:
        return _question_text(row, prev)
    if model is CaseNote:
        return str(row.text)
    if model is SignOff:
        if prev is None:
            return "\n".join([str(row.rationale), *row.reasons])
        return str(row.countersign_reason)
    if model is Licence and row.status_reason and (prev is None or prev.status != row.status):
        return str(row.status_reason)
    if model is Shipment:
        return str(row.reason)
    reviewed = model is Hit and row.status in {Hit.Status.CLEARED, Hit.Status.CONFIRMED, Hit.Status.ACKNOWLEDGED}
    if reviewed and (prev is None or prev.status != row.status or prev.rationale != row.rationale):
        return str(row.rationale)
    return ""


def _question_text(row: Any, prev: Any | None) -> str:
    """The words of the conversation: the question when asked, the answer, the withdrawal reason."""
    if prev is None:
        return str(row.text)
    if row.status != prev.status and row.status == Question.Status.ANSWERED:
        return str(row.reply)
    if row.status != prev.status and row.status == Question.Status.WITHDRAWN:
        return str(row.withdrawn_reason)
    return ""


def build_timeline(application: Application, *, internal: bool = False) -> list[TimelineEvent]:
    """The case's events, oldest first.

    Internal notes only with `internal` (reviewers, admins, auditors: see `sees_internal`); left
    out by default, so a caller that forgets shows the applicant's view, not the reviewers'.
    """
    app_id = application.pk
    notes = CaseNote.history.filter(application_id=app_id)
    if not internal:
        notes = notes.filter(visible_to_applicant=True)
    # Every party the request ever had, deleted ones included: their hits belong to its story.
    party_ids = Party.history.filter(id__isnull=False, application_id=app_id).values("id")
    querysets: list[tuple[type[models.Model], Any]] = [
        (Application, Application.history.filter(id=app_id)),
        (Party, Party.history.filter(application_id=app_id)),
        (LineItem, LineItem.history.filter(application_id=app_id)),
        (Document, Document.history.filter(application_id=app_id)),
        (Hit, Hit.history.filter(party_id__in=party_ids)),
        (Decision, Decision.history.filter(application_id=app_id)),
        (Licence, Licence.history.filter(application_id=app_id)),
        (Question, Question.history.filter(application_id=app_id)),
        (CaseNote, notes),
        (SignOff, SignOff.history.filter(application_id=app_id)),
        (Shipment, Shipment.history.filter(licence__application_id=app_id)),
    ]
    assignees = Application.history.filter(id=app_id).values("assigned_to_id")
    users = dict(get_user_model().objects.filter(pk__in=assignees).values_list("pk", "username"))
    events: list[TimelineEvent] = []
    for model, rows in querysets:
        previous: dict[int, Any] = {}
        for row in rows.select_related("history_user").order_by("history_date", "history_id"):
            events.append(
                TimelineEvent(
                    when=row.history_date,
                    actor=_actor(row),
                    subject=_subject(model, row),
                    action=ACTIONS.get(row.history_type, row.history_type),
                    reason=_reason(
                        row.history_change_reason or "", _screened_sentence(model, row, previous.get(row.id))
                    ),
                    rationale=_rationale(model, row, previous.get(row.id)),
                    # A question's story is told in its words (rationale), not in field changes.
                    changes=[]
                    if model in (Question, CaseNote, SignOff)
                    else _changes(model, row, previous.get(row.id), internal=internal, users=users),
                )
            )
            previous[row.id] = row
    events.sort(key=lambda e: e.when)
    return events
