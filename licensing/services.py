"""Every write to a licence request goes through here: role rules, the status table, history.

Each service takes the acting user, checks what that user may do (PermissionDenied), moves the
status through the one table (IllegalTransition), and saves with `_history_user` and
`_change_reason` so the case timeline can say who did what, when and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.utils import timezone

from compliance.index import get_index
from lib.history import attribute, save_with_history
from lib.roles import Role, has_role
from lib.users import system_user
from licensing import emails
from licensing import hits as hit_services
from licensing import validators as limits
from licensing.determination import Determination, ItemFacts, ListedFacts, determine
from licensing.models import Application, CountryChart, Decision, Document, Hit, Licence, LineItem, Party
from licensing.rules import may_flag, require_reviewer, require_sales_owner
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
from licensing.validators import normalise_eccn

# Review policies under which approving over a confirmed hit needs an explicit, recorded override.
DENIAL_POLICIES = frozenset({"presumption_of_denial", "policy_of_denial"})


class AlreadyDecided(IllegalTransition):
    """A second reviewer tried to decide a request that another decision has just closed."""


@dataclass(frozen=True)
class PartyData:
    role: str
    name: str
    country: str
    address: str = ""
    id: int | None = None


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
def add_document(*, actor: User, application: Application, upload: UploadedFile) -> Document:
    """Attach a supporting document to a draft (type and size limits on the model field).

    The one path for the page and the API alike: only the applicant, only while the request may
    still be edited, and a refused or failed upload leaves neither a row nor a file behind.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_sales_owner(actor, application)
    if not application.can(Action.EDIT):
        application.transition(Action.EDIT)  # raises the readable refusal
    name = (upload.name or "document").rsplit("/", 1)[-1][:255]
    document = Document(
        application=application,
        file=upload,
        name=name,
        size=upload.size or 0,
        content_type=(upload.content_type or "")[:100],
        uploaded_by=actor,
    )
    _full_clean(document, exclude=["application", "uploaded_by"])
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
    application.last_screened_version = get_index().version
    application.determination = compute_determination(application).as_dict()
    _save(application, actor, "Submitted")
    found = hit_services.screen_parties(parties=application.parties.all(), actor=system_user())
    if found:
        flag_cases(actor=system_user(), reasons={application.pk: f"{found} screening hit(s) to review"}, hold=False)
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
) -> Decision:
    """A reviewer approves (optionally with conditions), denies or returns a request.

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
    if outcome not in OUTCOME_ACTIONS:
        raise ValidationError({"outcome": "Choose approved, denied or returned."})
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
        denial = hits.filter(status=Hit.Status.CONFIRMED, license_policy__in=DENIAL_POLICIES)
        if denial.exists() and not override_reason:
            errors["override_reason"] = (
                "A confirmed hit is under a presumption or policy of denial: approving needs an override reason."
            )
    elif override_reason:
        errors["override_reason"] = "An override reason goes with an approval only."
    if errors:
        raise ValidationError(errors)
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
            PartyData(role=p.role, name=p.name, country=p.country, address=p.address) for p in original.parties.all()
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


def _review_hit(verdict: Callable[..., Hit], *, actor: User, hit: Hit, rationale: str) -> Hit:
    """Record a reviewer's verdict on a hit, then make the request's determination again."""
    hit = verdict(actor=actor, hit=_hit_for_review(hit), rationale=rationale)
    application = Application.objects.select_for_update().get(pk=hit.party.application_id)
    refresh_determination(application=application, actor=actor, reason="Determination updated after hit review")
    return hit


@transaction.atomic
def clear_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Clear a false positive; the determination is made again without it."""
    return _review_hit(hit_services.clear_hit, actor=actor, hit=hit, rationale=rationale)


@transaction.atomic
def confirm_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Confirm that a party is the listed entity."""
    return _review_hit(hit_services.confirm_hit, actor=actor, hit=hit, rationale=rationale)


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
