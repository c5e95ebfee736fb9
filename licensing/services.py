"""Every write to a licence request goes through here: role rules, the status table, history.

Each service takes the acting user, checks what that user may do (PermissionDenied), moves the
status through the one table (IllegalTransition), and saves with `_history_user` and
`_change_reason` so the case timeline can say who did what, when and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from compliance.index import get_index
from lib.errors import Conflict
from lib.history import attribute, save_with_history
from lib.roles import Role, has_role
from lib.users import system_user
from lib.workdays import add_working_days, working_days_between
from licensing import catalogue, clearances, emails
from licensing import hits as hit_services
from licensing import validators as limits
from licensing.determination import Determination, ItemFacts, ListedFacts, determine
from licensing.models import (
    HIT_AWAITING_ACKNOWLEDGEMENT,
    READ_ALL,
    Application,
    CaseNote,
    CountryChart,
    Decision,
    Document,
    Hit,
    Licence,
    LineItem,
    Party,
    Product,
    Question,
    RememberedClearance,
    SignOff,
    SignOffPolicy,
    visibility_scope,
)
from licensing.rules import may_flag, require_applicant, require_reviewer, require_sales_owner
from licensing.status import (
    LICENCE_AMENDABLE,
    LICENCE_TRANSITIONS,
    OUTCOME_ACTIONS,
    Action,
    IllegalTransition,
    LicenceAction,
    LicenceStatus,
    Status,
)
from licensing.validators import country_codes, normalise_eccn

# Review policies under which approving over a confirmed hit needs an explicit, recorded override.
DENIAL_POLICIES = frozenset({"presumption_of_denial", "policy_of_denial"})


class AlreadyDecided(IllegalTransition):
    """A second reviewer tried to decide a request that another decision has just closed."""


class QuestionOpen(IllegalTransition):
    """A decision was attempted while a question to the applicant waits for its answer."""


class AlreadyCountersigned(IllegalTransition):
    """A second countersigner acted on an approval another countersigner has just settled."""


class QuestionClosed(IllegalTransition):
    """A reply to (or withdrawal of) a question that was already answered or withdrawn."""


# Documents one reply may carry (each within the usual type and size limits).
MAX_REPLY_DOCUMENTS = 10


@dataclass(frozen=True)
class PartyData:
    role: str
    name: str
    country: str
    address: str = ""
    id: int | None = None
    date_of_birth: str = ""
    nationalities: str = ""
    id_numbers: str = ""


@dataclass(frozen=True)
class ItemData:
    eccn: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "ea"
    model: str = ""
    manufacturer: str = ""
    reasons_for_control: str = ""
    # The catalogue product the row was picked from: its values are copied, the link is kept.
    product_id: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class ApplicationData:
    type: str
    destination_country: str
    end_use: str = ""
    additional_info: str = ""
    parties: Sequence[PartyData] = field(default_factory=tuple)
    items: Sequence[ItemData] = field(default_factory=tuple)
    requested_valid_until: date | None = None


def _save(obj: models.Model, actor: User | None, reason: str, **kwargs: Any) -> None:
    attribute(obj, actor, reason)
    obj.save(**kwargs)


def _delete(obj: models.Model, actor: User | None, reason: str) -> None:
    attribute(obj, actor, reason)
    obj.delete()


def _insert_numbered(obj: Application | Licence, *, prefix: str, field_name: str, actor: User, reason: str) -> None:
    """Insert with a human-readable number made from the row's id, e.g. LR-2026-000042.

    On PostgreSQL the id is drawn from the table's sequence first, so the row is written once
    (one history row, complete). Elsewhere (SQLite for `make run`) it takes a second save.
    """
    year = timezone.localdate().year
    table = type(obj)._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            obj.pk = cursor.fetchone()[0]  # type: ignore[index]
        setattr(obj, field_name, f"{prefix}-{year}-{obj.pk:06d}")
        attribute(obj, actor, reason)
        obj.save(force_insert=True)
        return
    _save(obj, actor, reason)
    setattr(obj, field_name, f"{prefix}-{year}-{obj.pk:06d}")
    _save(obj, actor, "Numbered", update_fields=[field_name])


def _full_clean(obj: models.Model, *, prefix: str = "", exclude: Sequence[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        if prefix and hasattr(exc, "error_dict"):
            raise ValidationError({f"{prefix}{k}": v for k, v in exc.error_dict.items()}) from None
        raise


def _check_limits(data: ApplicationData) -> None:
    """Counts and computed totals within their limits, before anything is written.

    A line's total and the request's total are computed, not typed, so no field validator sees
    them: a total beyond its column would be saved on some databases and break every page that
    lists the request.
    """
    errors: dict[str, str] = {}
    if len(data.parties) > limits.MAX_PARTIES:
        errors["parties"] = f"A request has at most {limits.MAX_PARTIES} parties; this one has {len(data.parties)}."
    if len(data.items) > limits.MAX_ITEMS:
        errors["items"] = f"A request has at most {limits.MAX_ITEMS} line items; this one has {len(data.items)}."
    total = Decimal("0")
    for position, item in enumerate(data.items):
        try:
            line = (Decimal(item.quantity) * Decimal(item.unit_price)).quantize(Decimal("0.01"))
        except (InvalidOperation, TypeError, ValueError):
            continue  # an unreadable amount is the field validators' to report
        if line > limits.MAX_LINE_TOTAL:
            errors[f"items[{position}].total"] = (
                f"Quantity x unit price is {line:,}; a line may total at most {limits.MAX_LINE_TOTAL:,}."
            )
        total += line
    if total > limits.MAX_REQUEST_TOTAL:
        errors["total_value"] = f"The items total {total:,}; a request may total at most {limits.MAX_REQUEST_TOTAL:,}."
    if errors:
        raise ValidationError(errors)


def _apply_header(application: Application, data: ApplicationData) -> None:
    application.type = data.type
    application.destination_country = (data.destination_country or "").strip().upper()
    application.end_use = data.end_use.strip()
    application.additional_info = data.additional_info.strip()
    application.requested_valid_until = data.requested_valid_until


def _write_children(application: Application, data: ApplicationData, *, actor: User, reason: str) -> None:
    """Make the request's parties and items equal to `data`: update by id, add new, delete missing."""
    specs: list[tuple[type[Party] | type[LineItem], Sequence[Any], str]] = [
        (Party, data.parties, "parties"),
        (LineItem, data.items, "items"),
    ]
    for model, rows, label in specs:
        existing = {obj.pk: obj for obj in model.objects.filter(application=application)}
        keep: set[int] = set()
        for position, row in enumerate(rows):
            if row.id is not None:
                if row.id not in existing:
                    raise ValidationError(f"{label[:-1].capitalize()} {row.id} does not belong to this request.")
                obj: Any = existing[row.id]
                keep.add(row.id)
            else:
                obj = model(application=application)
            values = {k: v for k, v in row.__dict__.items() if k != "id"}
            if model is Party:
                values["country"] = str(values["country"]).strip().upper()
                values["name"] = " ".join(str(values["name"]).split())
                values["date_of_birth"] = str(values["date_of_birth"]).strip()
                values["nationalities"] = " ".join(country_codes(str(values["nationalities"])))
            else:
                values["eccn"] = normalise_eccn(str(values["eccn"]))
            changed = obj.pk is None or any(getattr(obj, k) != v for k, v in values.items())
            for name, value in values.items():
                setattr(obj, name, value)
            _full_clean(obj, prefix=f"{label}[{position}].", exclude=["application"])
            if changed:
                _save(obj, actor, reason)
        for pk, obj in existing.items():
            if pk not in keep:
                _delete(obj, actor, reason)
    catalogue.remember_parties(actor=actor, parties=((p.name, p.address, p.country) for p in application.parties.all()))
    application.total_value = sum(
        (item.total for item in LineItem.objects.filter(application=application)), start=Decimal("0")
    )


@transaction.atomic
def create_application(*, actor: User, data: ApplicationData) -> Application:
    """Sales file a request; it starts as a draft they alone can see and change."""
    if not has_role(actor, Role.SALES):
        raise PermissionDenied("Only Sales users file licence requests.")
    _check_limits(data)
    application = Application(applicant=actor)
    _apply_header(application, data)
    _full_clean(application, exclude=["applicant", "reference"])
    _insert_numbered(application, prefix="LR", field_name="reference", actor=actor, reason="Draft created")
    _write_children(application, data, actor=actor, reason="Draft created")
    _save(application, actor, "Total value computed", update_fields=["total_value", "updated_at"])
    return application


@transaction.atomic
def update_draft(*, actor: User, application: Application, data: ApplicationData) -> Application:
    """The applicant edits their draft; once submitted a request no longer changes."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_sales_owner(actor, application)
    application.transition(Action.EDIT)
    _check_limits(data)
    _apply_header(application, data)
    _full_clean(application, exclude=["applicant", "reference"])
    _write_children(application, data, actor=actor, reason="Draft edited")
    _save(application, actor, "Draft edited")
    return application


@transaction.atomic
def copy_application(*, actor: User, source: Application) -> Application:
    """Start a new draft from an earlier request: header, parties and items, not its documents.

    Any request the Sales user may read can be copied (their own, today); the copy is theirs, a
    draft, screened afresh when they submit it. Documents stay with the request they supported:
    an end-user statement for one deal is not evidence for the next.
    """
    if not has_role(actor, Role.SALES):
        raise PermissionDenied("Only Sales users file licence requests.")
    if not Application.objects.for_user(actor).filter(pk=source.pk).exists():
        raise PermissionDenied("You may only copy a request you can read.")
    data = ApplicationData(
        type=source.type,
        destination_country=source.destination_country,
        end_use=source.end_use,
        additional_info=source.additional_info,
        parties=tuple(
            PartyData(role=p.role, name=p.name, address=p.address, country=p.country)
            for p in source.parties.order_by("pk")
        ),
        items=tuple(
            ItemData(
                eccn=i.eccn,
                description=i.description,
                quantity=i.quantity,
                unit_price=i.unit_price,
                unit=i.unit,
                model=i.model,
                manufacturer=i.manufacturer,
                reasons_for_control=i.reasons_for_control,
                product_id=i.product_id,
            )
            for i in source.items.order_by("pk")
        ),
    )
    _check_limits(data)
    application = Application(applicant=actor)
    _apply_header(application, data)
    reason = f"Draft copied from {source.reference}"
    _insert_numbered(application, prefix="LR", field_name="reference", actor=actor, reason=reason)
    _write_children(application, data, actor=actor, reason=reason)
    _save(application, actor, "Total value computed", update_fields=["total_value", "updated_at"])
    return application


@transaction.atomic
def add_document(*, actor: User, application: Application, upload: UploadedFile) -> Document:
    """Attach a supporting document to a draft (type and size limits on the model field).

    The one path for the page and the API alike: only the applicant, only while the request may
    still be edited, and a refused or failed upload leaves neither a row nor a file behind.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_sales_owner(actor, application)
    if not application.can(Action.EDIT):
        application.transition(Action.EDIT)  # raises the readable refusal
    return _store_document(actor=actor, application=application, upload=upload)


def _store_document(
    *, actor: User, application: Application, upload: UploadedFile, question: Question | None = None, prefix: str = ""
) -> Document:
    """Write one uploaded document (type and size limits on the model field), or nothing at all."""
    name = (upload.name or "document").rsplit("/", 1)[-1][:255]
    document = Document(
        application=application,
        file=upload,
        name=name,
        size=upload.size or 0,
        content_type=(upload.content_type or "")[:100],
        uploaded_by=actor,
        question=question,
    )
    _full_clean(document, prefix=prefix, exclude=["application", "uploaded_by", "question"])
    try:
        _save(document, actor, f"Document added: {name}")
    except BaseException:
        # Storage writes the file before the row (and its history row) is inserted; if either
        # fails, remove the file so no upload sits on disk without a record that accounts for it.
        if getattr(document.file, "_committed", False) and document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def remove_document(*, actor: User, document: Document) -> None:
    """The applicant removes a document from their draft; its file goes too, once that commits.

    A submitted request's documents are records of what was reviewed: they are never removed
    (the status table refuses the edit). History keeps the row's name, size and type.
    """
    application = Application.objects.select_for_update().get(pk=document.application_id)
    require_sales_owner(actor, application)
    if not application.can(Action.EDIT):
        application.transition(Action.EDIT)
    storage, stored_name = document.file.storage, document.file.name
    _delete(document, actor, f"Document removed: {document.name}")
    if stored_name:
        transaction.on_commit(lambda: storage.delete(stored_name))


def completeness_errors(application: Application) -> list[str]:
    """What BIS-748P needs before a request can be submitted."""
    errors: list[str] = []
    roles = list(application.parties.values_list("role", flat=True))
    if Party.Role.END_USER not in roles:
        errors.append("Add at least one end user.")
    if roles.count(Party.Role.ULTIMATE_CONSIGNEE) > 1:
        errors.append("A request has one ultimate consignee; remove the others.")
    if not application.items.exists():
        errors.append("Add at least one line item.")
    if not application.end_use.strip():
        errors.append("Describe the specific end use.")
    amends = application.amends
    if application.requested_valid_until and amends is None:
        errors.append("A requested end date belongs to an amendment of a licence only.")
    if (
        amends is not None
        and application.requested_valid_until
        and application.requested_valid_until < amends.valid_until
    ):
        errors.append(f"An amendment may extend the licence, not shorten it: it runs until {amends.valid_until}.")
    return errors


def country_chart() -> dict[str, frozenset[str]] | None:
    rows = CountryChart.objects.values_list("country", "reasons")
    chart = {country: frozenset(reasons) for country, reasons in rows}
    return chart or None


def compute_determination(application: Application) -> Determination:
    return compute_determinations([application])[application.pk]


def compute_determinations(applications: Sequence[Application]) -> dict[int, Determination]:
    """The licence determination of each request, from its items, unresolved hits and the chart.

    One query each for items and hits however many requests: re-screening refreshes hundreds
    of cases at once.
    """
    ids = [a.pk for a in applications]
    items: dict[int, list[ItemFacts]] = {pk: [] for pk in ids}
    for item in LineItem.objects.filter(application_id__in=ids).order_by("application_id", "pk"):
        items[item.application_id].append(
            ItemFacts(eccn=item.eccn, reasons_for_control=item.reasons_for_control, description=item.description)
        )
    listed: dict[int, list[ListedFacts]] = {pk: [] for pk in ids}
    hits = Hit.objects.unresolved().filter(party__application_id__in=ids).select_related("party", "entity")
    for h in hits:
        listed[h.party.application_id].append(
            ListedFacts(
                party_name=h.party.name,
                entity_name=h.entity.name,
                source=h.entity.source,
                license_requirement=h.license_requirement,
                license_policy=h.license_policy,
                status=h.status,
            )
        )
    chart = country_chart()
    return {
        a.pk: determine(items=items[a.pk], destination=a.destination_country, listed=listed[a.pk], chart=chart)
        for a in applications
    }


def refresh_determination(*, application: Application, actor: User | None, reason: str) -> Determination:
    result = compute_determination(application)
    if application.determination != result.as_dict():
        application.determination = result.as_dict()
        _save(application, actor, reason, update_fields=["determination", "updated_at"])
    return result


@transaction.atomic
def submit(*, actor: User, application: Application) -> Application:
    """Submit a complete draft: every party is screened and the licence determination is made.

    The screening is the system's (its hits are attributed to it, not to the salesperson); a
    request with hits is flagged for a reviewer's attention.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_sales_owner(actor, application)
    application.transition(Action.SUBMIT)
    errors = completeness_errors(application)
    if errors:
        raise ValidationError(errors)
    application.submitted_at = timezone.now()
    application.target_date = add_working_days(
        timezone.localdate(application.submitted_at), settings.REVIEW_TARGET_WORKING_DAYS
    )
    application.last_screened_version = get_index().version
    application.determination = compute_determination(application).as_dict()
    _save(application, actor, "Submitted")
    found = hit_services.screen_parties(parties=application.parties.all(), actor=system_user())
    # Hits a remembered clearance cleared need no reviewer: the case is flagged for the rest.
    flags: list[str] = []
    to_review = Hit.objects.filter(party__application=application, status=Hit.Status.OPEN).count() if found else 0
    if to_review:
        remembered = Hit.objects.filter(party__application=application, cleared_by__isnull=False).count()
        reason = f"{to_review} screening hit(s) to review"
        if remembered:
            reason += f" ({remembered} more cleared by remembered clearances)"
        flags.append(reason)
    differing = catalogue.mismatches(application)
    if differing:
        flags.append(
            f"{len(differing)} item(s) with an ECCN that differs from the catalogue's confirmed classification"
        )
    if flags:
        flag_cases(actor=system_user(), reasons={application.pk: "; ".join(flags)}, hold=False)
        application.refresh_from_db()
    return application


@transaction.atomic
def withdraw(*, actor: User, application: Application, reason: str = "") -> Application:
    """The applicant withdraws a request that has not been decided."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_sales_owner(actor, application)
    application.transition(Action.WITHDRAW)
    _save(application, actor, f"Withdrawn: {reason.strip()}" if reason.strip() else "Withdrawn")
    return application


@transaction.atomic
def assign(*, actor: User, application: Application) -> Application:
    """A reviewer takes a submitted request to work on it."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_reviewer(actor, application, doing="review")
    application.transition(Action.ASSIGN)
    application.assigned_to = actor
    _save(application, actor, f"Assigned to {actor.get_username()}")
    return application


def hold(*, actor: User, application: Application, reason: str) -> Application:
    """A reviewer puts an undecided request on hold, saying why."""
    if not may_flag(actor):
        raise PermissionDenied("Only reviewers put requests on hold.")
    if not application.can(Action.HOLD):
        application.transition(Action.HOLD)  # raises the readable refusal
    flag_cases(actor=actor, reasons={application.pk: reason}, hold=True)
    return Application.objects.get(pk=application.pk)


@transaction.atomic
def resume(*, actor: User, application: Application, reason: str) -> Application:
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_reviewer(actor, application, doing="review")
    application.transition(Action.RESUME)
    application.needs_attention = False
    application.attention_reason = ""
    _save(application, actor, f"Resumed: {reason}")
    return application


@transaction.atomic
def decide(
    *,
    actor: User,
    application: Application,
    outcome: str,
    rationale: str,
    conditions: str = "",
    override_reason: str = "",
    assessment: dict[str, Any] | None = None,
) -> Decision | SignOff:
    """A reviewer approves (optionally with conditions), denies or returns a request.

    Returns the Decision, or, for an approval the sign-off rules (`SignOffPolicy`) send to a
    second reviewer, the SignOff awaiting countersignature (the licence issues on agreement).

    The application row is locked first: of two reviewers deciding at once, the second waits,
    then finds the request decided and is told by whom and when. Approving needs every hit
    reviewed: open ones cleared or confirmed, and ones a list change took away (entity delisted,
    or no longer matching) acknowledged. Approving over a confirmed hit whose review policy is a
    presumption or policy of denial needs an explicit override reason.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_reviewer(actor, application, doing="decide")
    if application.is_decided:
        previous = Decision.objects.select_related("decided_by").filter(application=application).first()
        if previous is not None:
            when = timezone.localtime(previous.decided_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            raise AlreadyDecided(
                f"This request was already decided by {previous.decided_by.get_username()} at {when} "
                f"({previous.get_outcome_display().lower()})."
            )
    unanswered = Question.objects.open().filter(application=application).count()
    if unanswered:
        raise QuestionOpen(
            f"{unanswered} question(s) to the applicant still open: a decision waits for the answer "
            "(or withdraw the question)."
        )
    if outcome not in OUTCOME_ACTIONS:
        raise ValidationError({"outcome": "Choose approved, denied or returned."})
    status_before = application.status
    application.transition(OUTCOME_ACTIONS[outcome])
    rationale, conditions, override_reason = rationale.strip(), conditions.strip(), override_reason.strip()
    errors: dict[str, str] = {}
    if not rationale:
        errors["rationale"] = "Give a rationale: every decision records why."
    if conditions and outcome != Decision.Outcome.APPROVED:
        errors["conditions"] = "Conditions go with an approval only."
    hits = Hit.objects.filter(party__application=application)
    if outcome == Decision.Outcome.APPROVED:
        waiting: list[str] = []
        still_open = hits.filter(status=Hit.Status.OPEN).count()
        if still_open:
            waiting.append(f"{still_open} screening hit(s) still open: clear or confirm each before approving.")
        unacknowledged = hits.awaiting_acknowledgement().count()
        if unacknowledged:
            waiting.append(
                f"{unacknowledged} hit(s) resolved by a list change (entity delisted, or no longer matching) "
                "not yet acknowledged: acknowledge each before approving."
            )
        if waiting:
            errors["outcome"] = " ".join(waiting)
        denial = ever_confirmed_under_denial(application)
        if denial:
            # The judgement Commerce asked of exporters ("no threat to national security"),
            # documented item by item rather than in one free-text box.
            assessment, assessment_errors = clean_assessment(application, assessment)
            errors.update(assessment_errors)
            override_reason = override_reason or (assessment or {}).get("grounds", "")
            if not override_reason:
                errors["override_reason"] = (
                    "A hit under a presumption or policy of denial was confirmed on this case (even if since "
                    "reversed): approving needs an override reason."
                )
        elif assessment:
            errors["assessment"] = "The national-security assessment goes with overriding a denial policy only."
    elif override_reason or assessment:
        errors["override_reason"] = "An override reason goes with an approval only."
    if errors:
        raise ValidationError(errors)
    if outcome == Decision.Outcome.APPROVED:
        reasons = countersignature_reasons(application, denial=denial)
        if reasons:
            application.status = status_before
            return _propose(
                actor=actor,
                application=application,
                rationale=rationale,
                conditions=conditions,
                override_reason=override_reason,
                assessment=assessment,
                reasons=reasons,
            )
    now = timezone.now()
    decision = Decision(
        application=application,
        outcome=outcome,
        rationale=rationale,
        conditions=conditions,
        override_reason=override_reason,
        decided_by=actor,
        decided_at=now,
    )
    _save(decision, actor, f"Decision: {decision.get_outcome_display().lower()}")
    if outcome == Decision.Outcome.APPROVED:
        issue_licence(actor=actor, application=application, conditions=conditions, on=timezone.localdate())
    application.decided_at = now
    application.reply_received_at = None
    application.needs_attention = False
    application.attention_reason = ""
    _save(application, actor, f"Decided: {decision.get_outcome_display().lower()}")
    # Written with the decision (the outbox), sent after commit: a rolled-back decision sends
    # nothing, and a mail server that is down delays the e-mail instead of failing the decision.
    emails.decision_made(decision)
    return decision


def issue_licence(*, actor: User, application: Application, conditions: str, on: date) -> Licence:
    """Issue the licence an approval grants; for an amendment, a new version that supersedes the old.

    The new version keeps the old one's start date and end date (or the later one asked for);
    the old version is marked superseded and stays readable, and its shipments count against the
    new version's lines through `LineItem.carried_from`.
    """
    old = application.amends
    if old is not None:
        old = Licence.objects.select_for_update(of=("self",)).get(pk=old.pk)
        old.transition(LicenceAction.SUPERSEDE)
        valid_from = old.valid_from
        valid_until = max(application.requested_valid_until or old.valid_until, old.valid_until)
    else:
        valid_from, valid_until = on, on + relativedelta(years=settings.LICENCE_VALIDITY_YEARS)
    licence = Licence(
        application=application,
        valid_from=valid_from,
        valid_until=valid_until,
        conditions=conditions,
        supersedes=old,
    )
    reason = f"Licence issued, superseding {old.number}" if old is not None else "Licence issued"
    _insert_numbered(licence, prefix="CL", field_name="number", actor=actor, reason=reason)
    if old is not None:
        old.status_reason = f"Superseded by {licence.number} (amendment {application.reference})."
        _save(old, actor, f"Superseded by {licence.number}", update_fields=["status", "status_reason"])
    return licence


@transaction.atomic
def request_amendment(*, actor: User, licence: Licence) -> Application:
    """The licence holder asks for an amendment: a new draft request, a copy of the licensed one,
    linked to the licence, to edit (more quantity or value, a later end date, a changed party),
    then submitted, screened and reviewed like any other. One open amendment per licence."""
    licence = Licence.objects.select_for_update(of=("self",)).select_related("application").get(pk=licence.pk)
    original = licence.application
    require_sales_owner(actor, original)
    if licence.status not in LICENCE_AMENDABLE:
        raise IllegalTransition(f"A licence that is {licence.get_status_display().lower()} cannot be amended.")
    pending = licence.amendments.exclude(status__in=[Status.WITHDRAWN, Status.DENIED, Status.RETURNED]).first()
    if pending is not None:
        raise IllegalTransition(f"Licence {licence.number} already has an amendment under way: {pending.reference}.")
    items = list(original.items.order_by("pk"))
    data = ApplicationData(
        type=original.type,
        destination_country=original.destination_country,
        end_use=original.end_use,
        additional_info=original.additional_info,
        parties=tuple(
            PartyData(
                role=p.role,
                name=p.name,
                country=p.country,
                address=p.address,
                date_of_birth=p.date_of_birth,
                nationalities=p.nationalities,
                id_numbers=p.id_numbers,
            )
            for p in original.parties.all()
        ),
        items=tuple(
            ItemData(
                eccn=i.eccn,
                description=i.description,
                quantity=i.quantity,
                unit_price=i.unit_price,
                unit=i.unit,
                model=i.model,
                manufacturer=i.manufacturer,
                reasons_for_control=i.reasons_for_control,
                product_id=i.product_id,
            )
            for i in items
        ),
    )
    amendment = create_application(actor=actor, data=data)
    amendment.amends = licence
    _save(amendment, actor, f"Amendment of licence {licence.number}", update_fields=["amends", "updated_at"])
    for copy, source in zip(amendment.items.order_by("pk"), items, strict=True):
        copy.carried_from = source
        _save(copy, actor, f"Continues line {source.pk} of licence {licence.number}", update_fields=["carried_from"])
    return amendment


def _hit_for_review(hit: Hit) -> Hit:
    return Hit.objects.select_related("party__application").get(pk=hit.pk)


def _review_hit(verdict: Callable[..., Hit], *, actor: User, hit: Hit, rationale: str, **options: Any) -> Hit:
    """Record a reviewer's verdict on a hit, then make the request's determination again."""
    hit = verdict(actor=actor, hit=_hit_for_review(hit), rationale=rationale, **options)
    application = Application.objects.select_for_update().get(pk=hit.party.application_id)
    _after_review(application, actor=actor)
    return hit


def _after_review(application: Application, *, actor: User) -> None:
    """Make the determination again and, once no hit waits for a reviewer, take down the
    "needs attention" flag: every reason a case is flagged is a hit to look at (`flag_cases`)."""
    refresh_determination(application=application, actor=actor, reason="Determination updated after hit review")
    waiting = Hit.objects.filter(party__application=application).filter(
        Q(status=Hit.Status.OPEN) | Q(status__in=HIT_AWAITING_ACKNOWLEDGEMENT)
    )
    if application.needs_attention and not waiting.exists():
        application.needs_attention = False
        application.attention_reason = ""
        _save(
            application,
            actor,
            "Every hit reviewed: no longer needs attention",
            update_fields=["needs_attention", "attention_reason", "updated_at"],
        )


REVIEW_VERDICTS: dict[str, Callable[..., Hit]] = {
    "clear": hit_services.clear_hit,
    "confirm": hit_services.confirm_hit,
    "acknowledge": hit_services.acknowledge_hit,
}


@transaction.atomic
def review_hits(*, actor: User, application: Application, hit_ids: Sequence[int], verdict: str, rationale: str) -> int:
    """One verdict with one rationale on several hits of one request (three entries of the same
    name, say): each is recorded as if reviewed on its own, all or none. Returns how many."""
    if verdict not in REVIEW_VERDICTS:
        raise ValidationError(f"Unknown verdict {verdict!r}.")
    hits = list(Hit.objects.filter(pk__in=list(hit_ids), party__application=application).order_by("pk"))
    if not hits:
        raise ValidationError("Tick the hits this verdict is for.")
    for hit in hits:
        REVIEW_VERDICTS[verdict](actor=actor, hit=hit, rationale=rationale)
    _after_review(Application.objects.select_for_update().get(pk=application.pk), actor=actor)
    return len(hits)


@transaction.atomic
def clear_hit(*, actor: User, hit: Hit, rationale: str, remember: bool = False) -> Hit:
    """Clear a false positive; the determination is made again without it.

    With `remember`, later hits of the same party identity on the same entity arrive cleared
    (`licensing.clearances`).
    """
    return _review_hit(hit_services.clear_hit, actor=actor, hit=hit, rationale=rationale, remember=remember)


@transaction.atomic
def revoke_clearance(*, actor: User, clearance: RememberedClearance, reason: str) -> RememberedClearance:
    """A Compliance admin withdraws a remembered clearance; the hits it cleared on open cases reopen now.

    Each reopened hit says which clearance no longer applies and why, and its case goes back in
    front of a reviewer, on hold, as a new hit would put it. Hits on decided cases keep their
    record as it was: the decision was made on it.
    """
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only Compliance admins revoke remembered clearances.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the clearance is revoked: reviewers and auditors read this."})
    clearance = RememberedClearance.objects.select_for_update().select_related("application").get(pk=clearance.pk)
    if clearance.revoked_at is not None:
        raise Conflict(f"Remembered clearance #{clearance.pk} was already revoked.")
    clearance.revoked_at = timezone.now()
    clearance.revoked_by = actor
    clearance.revoke_reason = reason
    attribute(clearance, actor, f"Revoked: {reason}")
    clearance.save()
    hits = list(
        Hit.objects.select_for_update(of=("self",))
        .filter(cleared_by=clearance, status=Hit.Status.CLEARED, party__application__in=Application.objects.open())
        .select_related("party")
        .order_by("pk")
    )
    note = clearances.lapsed_note(clearance, f"it was revoked by {actor.username}: {reason}")
    for hit in hits:
        hit.transition(Hit.Action.REOPEN)
        hit.cleared_by = None
        hit.lapsed_clearance = clearance
        hit.clearance_note = note
        hit.rationale = ""
        hit.reviewed_at = None
        attribute(hit, actor, f"Reopened: remembered clearance #{clearance.pk} revoked")
    save_with_history(
        hits, ["status", "cleared_by_id", "lapsed_clearance_id", "clearance_note", "rationale", "reviewed_at"]
    )
    if hits:
        # The system account puts the cases on hold (only reviewers and it flag cases); the
        # reason names the admin who revoked.
        reasons = dict.fromkeys({hit.party.application_id for hit in hits}, note)
        flag_cases(actor=system_user(), reasons=reasons, hold=True)
    return clearance


@transaction.atomic
def confirm_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Confirm that a party is the listed entity."""
    return _review_hit(hit_services.confirm_hit, actor=actor, hit=hit, rationale=rationale)


@transaction.atomic
def reverse_hit_confirmation(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Reverse a confirmed match (another reviewer, with a rationale); the determination is made again."""
    return _review_hit(hit_services.reverse_confirmation, actor=actor, hit=hit, rationale=rationale)


def ever_confirmed_under_denial(application: Application) -> bool:
    """Whether a hit under a presumption or policy of denial was ever confirmed on this case.

    Read from the hits' history, so reversing the confirmation (or a party edit that reopened it)
    does not make the approval any easier: the override reason and the second sign-off still apply.
    """
    party_ids = Party.history.filter(application_id=application.pk).values("id")
    return Hit.history.filter(
        party_id__in=party_ids, status=Hit.Status.CONFIRMED, license_policy__in=DENIAL_POLICIES
    ).exists()


@transaction.atomic
def acknowledge_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Acknowledge a hit a list change resolved, so it no longer holds up approval."""
    return _review_hit(hit_services.acknowledge_hit, actor=actor, hit=hit, rationale=rationale)


@transaction.atomic
def flag_cases(*, actor: User, reasons: dict[int, str], hold: bool) -> None:
    """Put cases back in front of a reviewer, saying why: the one way a case is flagged.

    Each case is marked as needing attention with its reason and its determination is made
    again with its current hits. With `hold` (a new screening hit), an undecided request also
    goes on hold through the status table, and an active licence is put on hold: shipping under
    it stops until a reviewer has looked. One history row per request and per licence, written
    in bulk: a full re-screen may flag thousands of cases.
    """
    if not may_flag(actor):
        raise PermissionDenied("Only reviewers put requests on hold.")
    now = timezone.now()
    applications = list(Application.objects.select_for_update().filter(pk__in=list(reasons)).order_by("pk"))
    determinations = compute_determinations(applications)
    for application in applications:
        reason = reasons[application.pk]
        held = hold and application.can(Action.HOLD)
        if held:
            application.transition(Action.HOLD)
        application.needs_attention = True
        application.attention_reason = reason
        application.determination = determinations[application.pk].as_dict()
        application.updated_at = now
        attribute(application, actor, f"On hold: {reason}" if held else reason)
    save_with_history(applications, ["status", "needs_attention", "attention_reason", "determination", "updated_at"])
    if not hold:
        return
    licences = list(
        Licence.objects.select_for_update()
        .filter(application_id__in=list(reasons), status=LicenceStatus.ACTIVE)
        .order_by("pk")
    )
    for licence in licences:
        licence.transition(LicenceAction.HOLD)
        attribute(licence, actor, f"On hold: {reasons[licence.application_id]}")
    save_with_history(licences, ["status"])


@transaction.atomic
def expire_licences(*, actor: User, today: date | None = None) -> list[int]:
    """Mark licences past their validity as expired (run daily by Celery beat); returns their ids.

    Active, held and suspended licences all end on their last day; revoked and exhausted ones
    have already ended.
    """
    today = today or timezone.localdate()
    expired: list[int] = []
    expirable = [status for (status, action) in LICENCE_TRANSITIONS if action == LicenceAction.EXPIRE]
    for licence in Licence.objects.select_for_update().filter(status__in=expirable, valid_until__lt=today):
        licence.transition(LicenceAction.EXPIRE)
        _save(licence, actor, f"Expired: valid until {licence.valid_until}")
        expired.append(licence.pk)
    return expired


# --- Questions to the applicant ---------------------------------------------------------------


def _required_text(value: str, *, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: f"Write {what}."})
    if len(text) > limits.MAX_RATIONALE:
        raise ValidationError({field: f"At most {limits.MAX_RATIONALE:,} characters; this has {len(text):,}."})
    return text


@transaction.atomic
def ask_question(*, actor: User, application: Application, text: str) -> Question:
    """A reviewer asks the applicant for what is missing; the case waits for the applicant.

    The request moves to "awaiting applicant" through the status table (only an undecided,
    submitted request can be asked), stays open to re-screening, and cannot be decided until
    every question is answered or withdrawn. The applicant is e-mailed through the outbox.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_reviewer(actor, application, doing="review")
    clock_running = application.status != Status.AWAITING_APPLICANT
    application.transition(Action.ASK)
    text = _required_text(text, field="text", what="the question to the applicant")
    if clock_running:
        application.clock_stopped_at = timezone.now()
    question = Question(application=application, text=text, asked_by=actor, asked_at=timezone.now())
    _save(question, actor, "Question asked")
    application.reply_received_at = None
    _save(application, actor, "Question to the applicant: awaiting reply")
    emails.question_asked(question)
    return question


def _lock_question(question: Question) -> tuple[Question, Application]:
    application = Application.objects.select_for_update().get(pk=question.application_id)
    return Question.objects.select_for_update().get(pk=question.pk), application


def _refuse_closed(question: Question, *, doing: str) -> None:
    if question.is_open:
        return
    if question.status == Question.Status.ANSWERED and question.replied_by is not None:
        when = timezone.localtime(question.replied_at).strftime("%Y-%m-%d %H:%M %Z") if question.replied_at else ""
        raise QuestionClosed(
            f"This question was already answered by {question.replied_by.get_username()} at {when}; "
            f"it cannot be {doing}."
        )
    raise QuestionClosed(f"This question was {question.get_status_display().lower()}; it cannot be {doing}.")


def _back_to_reviewer(application: Application, *, action: str, actor: User, reason: str) -> None:
    """With no question left open, the case returns to the reviewer's queue."""
    if Question.objects.open().filter(application=application).exists():
        _save(application, actor, reason)
        return
    application.transition(action)
    restart_clock(application)
    _save(application, actor, f"{reason}: back in review")


def restart_clock(application: Application, *, now: datetime | None = None) -> None:
    """The case leaves "awaiting applicant": its target moves by the working days it waited."""
    if application.clock_stopped_at is None:
        return
    today = timezone.localdate(now or timezone.now())
    waited = working_days_between(timezone.localdate(application.clock_stopped_at), today)
    if application.target_date is not None:
        application.target_date = add_working_days(application.target_date, waited)
    application.clock_stopped_at = None


@transaction.atomic
def reply_to_question(*, actor: User, question: Question, text: str, uploads: Sequence[UploadedFile] = ()) -> Question:
    """The applicant answers a question, with text and optional documents (the usual limits).

    Only the salesperson who filed the request answers, once: a second reply, or one to a
    withdrawn question, is refused and names who answered when. The answer to the last open
    question puts the case back in review, marked "reply received", and tells the reviewer.
    """
    question, application = _lock_question(question)
    require_applicant(actor, application, doing="answer its questions")
    _refuse_closed(question, doing="answered again")
    if not application.can(Action.REPLY):
        application.transition(Action.REPLY)  # raises the readable refusal (e.g. withdrawn)
    text = _required_text(text, field="text", what="your answer")
    if len(uploads) > MAX_REPLY_DOCUMENTS:
        raise ValidationError({"files": f"A reply carries at most {MAX_REPLY_DOCUMENTS} documents."})
    question.transition(Question.Action.ANSWER)
    for position, upload in enumerate(uploads):
        _store_document(
            actor=actor, application=application, upload=upload, question=question, prefix=f"files[{position}]."
        )
    now = timezone.now()
    question.reply, question.replied_by, question.replied_at = text, actor, now
    _save(question, actor, "Applicant replied")
    application.reply_received_at = now
    _back_to_reviewer(application, action=Action.REPLY, actor=actor, reason="Reply received")
    emails.reply_received(question)
    return question


@transaction.atomic
def withdraw_question(*, actor: User, question: Question, reason: str) -> Question:
    """A reviewer withdraws a question whose answer is no longer needed, saying why.

    It is how a case whose applicant never answers can still be returned without action.
    """
    question, application = _lock_question(question)
    require_reviewer(actor, application, doing="review")
    _refuse_closed(question, doing="withdrawn")
    reason = _required_text(reason, field="reason", what="why the question is withdrawn")
    question.transition(Question.Action.WITHDRAW)
    question.withdrawn_reason = reason
    _save(question, actor, "Question withdrawn")
    _back_to_reviewer(application, action=Action.RESUME, actor=actor, reason="Question withdrawn")
    return question


@transaction.atomic
def remind_unanswered_questions(*, actor: User, now: datetime | None = None) -> list[int]:
    """Remind applicants of questions unanswered for QUESTION_REMINDER_WORKING_DAYS working days.

    Counted from the question (or the last reminder), weekends and settings.HOLIDAYS excluded.
    Run daily by beat; a second run the same day finds every reminder just sent and sends none,
    and each reminder's outbox key is unique, so a retried task writes each e-mail once.
    Returns the ids of the questions reminded.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    after = settings.QUESTION_REMINDER_WORKING_DAYS
    reminded: list[int] = []
    due = (
        Question.objects.open()
        .filter(application__status=Status.AWAITING_APPLICANT)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("application__applicant")
        .order_by("pk")
    )
    for question in due:
        since = timezone.localdate(question.last_reminded_at or question.asked_at)
        if working_days_between(since, today) < after:
            continue
        question.reminders_sent += 1
        question.last_reminded_at = now
        _save(question, actor, f"Reminder {question.reminders_sent} sent to the applicant")
        emails.question_reminder(question)
        reminded.append(question.pk)
    return reminded


# --- Case notes ------------------------------------------------------------------------------

# "@username" not preceded by a word character, a dot or another "@" (so e-mail addresses are not
# mentions); Django usernames are letters, digits and @.+-_ , and a trailing dot ends a sentence.
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+)")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames `@mentioned` in a note, in order, each once."""
    names = [match.rstrip(".") for match in MENTION.findall(text)]
    return list(dict.fromkeys(name for name in names if name))


def _mentioned_users(text: str, application: Application, *, shared: bool) -> list[User]:
    """The users a note mentions; a name nobody has, or someone who may not read the note, is refused.

    Refused rather than ignored: whoever writes "@ana please check" must know Ana will not be told.
    """
    names = mentioned_usernames(text)
    if not names:
        return []
    users = {u.get_username(): u for u in User.objects.filter(username__in=names, is_active=True)}
    errors: list[str] = []
    for name in names:
        user = users.get(name)
        if user is None:
            errors.append(f"No active user is called @{name}.")
        elif visibility_scope(user) != READ_ALL and not (shared and user.pk == application.applicant_id):
            why = "" if shared else " (an internal note is not shown to the applicant)"
            errors.append(f"@{name} cannot read this note{why}.")
    if errors:
        raise ValidationError({"text": errors})
    return [users[name] for name in names]


@transaction.atomic
def add_note(*, actor: User, application: Application, text: str, visible_to_applicant: bool = False) -> CaseNote:
    """A reviewer or Compliance admin adds a note to a case: internal unless shared with the applicant.

    Notes are append-only (a correction is a new note) and attributed. Each `@username` mentioned
    is told through the outbox; a shared note is e-mailed to the applicant as well. A reviewer
    writes no note on a request they filed (segregation of duties).
    """
    if not has_role(actor, Role.REVIEWER, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only reviewers and Compliance admins write case notes.")
    if application.applicant_id == actor.pk:
        raise PermissionDenied("You filed this request, so you cannot write notes on its case (segregation of duties).")
    if application.status == Status.DRAFT:
        raise IllegalTransition("A draft is not a case yet: notes go on submitted requests.")
    text = _required_text(text, field="text", what="the note")
    mentioned = _mentioned_users(text, application, shared=visible_to_applicant)
    note = CaseNote(application=application, author=actor, text=text, visible_to_applicant=visible_to_applicant)
    _save(note, actor, "Note shared with the applicant" if visible_to_applicant else "Internal note")
    note.mentioned.set(mentioned)
    emails.note_written(note, mentioned=[u for u in mentioned if u.pk != actor.pk])
    return note


# --- Second sign-off --------------------------------------------------------------------------

NO_RISK = "No risk to national security"


def clean_assessment(
    application: Application, raw: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The national-security assessment as stored, or the errors that keep it from being complete.

    Per line item: its reasons for control and why they do or do not matter for this end user;
    the end use; and the conclusion "no risk to national security" with its grounds.
    """
    need = (
        "Overriding a presumption or policy of denial needs the national-security assessment: for each item "
        "its reasons for control and why they do or do not matter for this end user, the end use, and the "
        "conclusion with its grounds."
    )
    if not raw:
        return None, {"assessment": need}
    items = {item.pk: item for item in application.items.all()}
    given: dict[int, dict[str, str]] = {}
    errors: list[str] = []
    for row in raw.get("items") or []:
        try:
            key = int(row.get("item"))
        except (TypeError, ValueError, AttributeError):
            errors.append("Each assessed item names its line item by id.")
            continue
        if key not in items:
            errors.append(f"Line item {key} is not on this request.")
            continue
        given[key] = {
            "reasons_for_control": str(row.get("reasons_for_control") or "").strip()[: limits.MAX_RATIONALE],
            "relevance": str(row.get("relevance") or "").strip()[: limits.MAX_RATIONALE],
        }
    stored_items: list[dict[str, Any]] = []
    for pk, item in items.items():
        entry = given.get(pk)
        if entry is None or not entry["reasons_for_control"] or not entry["relevance"]:
            errors.append(f"Assess item {item.eccn} ({item.description[:40]}): its reasons for control and why.")
            continue
        stored_items.append({"item": pk, "eccn": item.eccn, "description": item.description[:200], **entry})
    end_use = str(raw.get("end_use") or "").strip()[: limits.MAX_RATIONALE]
    grounds = str(raw.get("grounds") or "").strip()[: limits.MAX_RATIONALE]
    if not end_use:
        errors.append("Assess the end use.")
    if raw.get("no_risk_to_national_security") is not True:
        errors.append(f"Conclude “{NO_RISK.lower()}” to approve; otherwise deny the request.")
    if not grounds:
        errors.append("Give the grounds of the conclusion.")
    if errors:
        return None, {"assessment": " ".join(errors)}
    return {"items": stored_items, "end_use": end_use, "conclusion": NO_RISK, "grounds": grounds}, {}


def countersignature_reasons(application: Application, *, denial: bool) -> list[str]:
    """Which of the sign-off rules this approval meets, in words; empty when one signature suffices."""
    policy = SignOffPolicy.load()
    reasons: list[str] = []
    if policy.on_denial_override and denial:
        reasons.append("It overrides a presumption or policy of denial.")
    confirmed = Hit.objects.filter(party__application=application, status=Hit.Status.CONFIRMED).count()
    if policy.on_confirmed_hit and confirmed:
        reasons.append(f"It carries {confirmed} confirmed hit(s).")
    if policy.value_threshold is not None and application.total_value > policy.value_threshold:
        reasons.append(f"Its total value {application.total_value:,} exceeds {policy.value_threshold:,}.")
    return reasons


def _propose(
    *,
    actor: User,
    application: Application,
    rationale: str,
    conditions: str,
    override_reason: str,
    assessment: dict[str, Any] | None,
    reasons: list[str],
) -> SignOff:
    sign_off = SignOff(
        application=application,
        proposed_by=actor,
        rationale=rationale,
        conditions=conditions,
        override_reason=override_reason,
        assessment=assessment,
        reasons=reasons,
    )
    _save(sign_off, actor, "Approval put up for countersignature")
    application.transition(Action.PROPOSE)
    application.reply_received_at = None
    _save(application, actor, "Approved, awaiting countersignature")
    emails.countersignature_needed(sign_off)
    return sign_off


@transaction.atomic
def countersign(*, actor: User, application: Application, agree: bool, reason: str = "") -> SignOff:
    """A second reviewer agrees with an approval (the licence issues) or sends it back with a reason.

    The countersigner is a reviewer who neither approved nor filed the request. The request row
    is locked: of two countersigners at once, exactly one lands and the other is told by whom
    and when. Agreeing re-checks the hits, since a list change may have brought a new one.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_reviewer(actor, application, doing="countersign")
    sign_off = (
        SignOff.objects.select_for_update().filter(application=application).order_by("-proposed_at", "-id").first()
    )
    pending = sign_off is not None and sign_off.status == SignOff.Status.PENDING
    if application.status != Status.AWAITING_COUNTERSIGNATURE or sign_off is None or not pending:
        if sign_off is not None and sign_off.countersigned_by_id and sign_off.countersigned_at:
            who = User.objects.get(pk=sign_off.countersigned_by_id).get_username()
            when = timezone.localtime(sign_off.countersigned_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            verb = "countersigned" if sign_off.status == SignOff.Status.AGREED else "sent back"
            raise AlreadyCountersigned(f"This approval was already {verb} by {who} at {when}.")
        application.transition(Action.COUNTERSIGN)  # the readable refusal for any other status
        raise IllegalTransition("This request has no approval awaiting countersignature.")
    if sign_off.proposed_by_id == actor.pk:
        raise PermissionDenied(
            "You approved this request, so another reviewer must countersign it (segregation of duties)."
        )
    reason = reason.strip()
    if len(reason) > limits.MAX_RATIONALE:
        raise ValidationError({"reason": f"At most {limits.MAX_RATIONALE:,} characters."})
    now = timezone.now()
    if agree:
        hits = Hit.objects.filter(party__application=application)
        if hits.filter(status=Hit.Status.OPEN).exists() or hits.awaiting_acknowledgement().exists():
            raise ValidationError(
                {"agree": "A screening hit arrived or changed since the approval: send it back to the decider."}
            )
        application.transition(Action.COUNTERSIGN)
        sign_off.status = SignOff.Status.AGREED
    else:
        if not reason:
            raise ValidationError({"reason": "Say why you disagree: the decider revises from it."})
        application.transition(Action.SEND_BACK)
        sign_off.status = SignOff.Status.DISAGREED
        application.assigned_to_id = sign_off.proposed_by_id
    sign_off.countersigned_by, sign_off.countersigned_at, sign_off.countersign_reason = actor, now, reason
    _save(sign_off, actor, "Countersigned" if agree else "Sent back to the decider")
    if not agree:
        _save(application, actor, f"Countersignature refused: {reason}")
        emails.sent_back(sign_off)
        return sign_off
    decision = Decision(
        application=application,
        outcome=Decision.Outcome.APPROVED,
        rationale=sign_off.rationale,
        conditions=sign_off.conditions,
        override_reason=sign_off.override_reason,
        assessment=sign_off.assessment,
        decided_by_id=sign_off.proposed_by_id,
        decided_at=now,
        countersigned_by=actor,
        countersigned_at=now,
    )
    # The decision is the decider's; the countersignature is the second reviewer's (on the sign-off).
    _save(decision, sign_off.proposed_by, f"Decision: approved, countersigned by {actor.get_username()}")
    issue_licence(actor=actor, application=application, conditions=sign_off.conditions, on=timezone.localdate())
    application.decided_at = now
    application.needs_attention = False
    application.attention_reason = ""
    _save(application, actor, "Decided: approved (countersigned)")
    emails.decision_made(decision)
    return sign_off


@transaction.atomic
def update_sign_off_policy(
    *, actor: User, on_denial_override: bool, on_confirmed_hit: bool, value_threshold: Decimal | None, reason: str
) -> SignOffPolicy:
    """A Compliance admin changes when approvals need a second sign-off; history keeps every version."""
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only Compliance admins change the second sign-off rules.")
    reason = _required_text(reason, field="reason", what="why the rules change")
    policy = SignOffPolicy.objects.select_for_update().get(pk=SignOffPolicy.load().pk)
    policy.on_denial_override = on_denial_override
    policy.on_confirmed_hit = on_confirmed_hit
    policy.value_threshold = value_threshold
    _full_clean(policy)
    _save(policy, actor, f"Sign-off rules changed: {reason}")
    return policy


@transaction.atomic
def confirm_classification(
    *, actor: User, product: Product, eccn: str, reasons_for_control: str, note: str = ""
) -> Product:
    """A reviewer or Compliance admin confirms a product's ECCN and reasons for control.

    The confirmation is attributed (who, when, a note, in the product's history). Open requests
    whose items were picked from this product with another ECCN are flagged for their reviewer.
    """
    if not catalogue.may_confirm_classification(actor):
        raise PermissionDenied("Only reviewers and Compliance admins confirm a classification.")
    product = Product.objects.select_for_update().get(pk=product.pk)
    product.eccn = normalise_eccn(eccn)
    product.reasons_for_control = " ".join(reasons_for_control.split()).upper()
    product.classification = Product.Classification.CONFIRMED
    product.classified_by = actor
    product.classified_at = timezone.now()
    product.classification_note = note.strip()
    _full_clean(product, exclude=["created_by", "classified_by"])
    attribute(product, actor, f"Classification confirmed: {product.eccn}")
    product.save()
    differing = LineItem.objects.filter(product=product).exclude(eccn=product.eccn).values("application_id")
    undecided = Application.objects.undecided().filter(pk__in=differing).values_list("pk", flat=True)
    reasons = {pk: catalogue.mismatch_reason(product) for pk in undecided}
    if reasons:
        flag_cases(actor=actor, reasons=reasons, hold=False)
    return product


@transaction.atomic
def assign_cases(*, actor: User, applications: Sequence[Application], reviewer: User) -> list[Application]:
    """A Compliance admin assigns (or reassigns) one or many cases to a reviewer, all or none.

    The reviewer must be an active reviewer who did not file the case (segregation of duties);
    each case moves through the status table's assign action, so a decided one is refused.
    """
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only Compliance admins assign cases to reviewers.")
    if not reviewer.is_active or not has_role(reviewer, Role.REVIEWER):
        raise ValidationError({"reviewer": f"{reviewer.get_username()} is not an active reviewer."})
    if not applications:
        raise ValidationError({"applications": "Choose at least one case."})
    locked = list(Application.objects.select_for_update().filter(pk__in=[a.pk for a in applications]).order_by("pk"))
    for application in locked:
        if application.applicant_id == reviewer.pk:
            raise ValidationError(
                {"reviewer": f"{reviewer.get_username()} filed {application.reference}: they cannot review it."}
            )
        application.transition(Action.ASSIGN)
        previous = application.assigned_to_id
        application.assigned_to = reviewer
        verb = "Reassigned" if previous and previous != reviewer.pk else "Assigned"
        _save(application, actor, f"{verb} to {reviewer.get_username()} by {actor.get_username()}")
    return locked
