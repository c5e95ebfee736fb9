"""The life of an issued licence: officers' actions on it, and the shipments that draw it down.

Every write takes the acting user, locks the licence row first, moves its status through the one
table (`licensing.status.LICENCE_TRANSITIONS`) and records who did it and why in history, so the
case timeline and the case file tell the whole story. A refusal writes nothing.

Shipments are a ledger on the licence (15 CFR 750.7 ties them to its terms; 15 CFR 762 keeps the
records): append-only, a mistake undone by a reversal entry. The licence row is locked for every
entry, so two shipments racing for the last units of a line are serialised and the second one
sees what the first took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from lib.history import attribute
from lib.roles import Role, has_role
from licensing import emails
from licensing.models import Application, Hit, Licence, LicenceQuerySet, LineItem, Party, Shipment, ShipmentLine
from licensing.rules import require_licence_officer, require_reverser, require_shipper
from licensing.status import LICENCE_IN_FORCE, LICENCE_TRANSITIONS, IllegalTransition, LicenceAction

# The actions an officer takes on a licence by hand, and how each is named in its history row.
OFFICER_ACTIONS: dict[str, str] = {
    LicenceAction.RELEASE: "Released",
    LicenceAction.SUSPEND: "Suspended",
    LicenceAction.REINSTATE: "Reinstated",
    LicenceAction.REVOKE: "Revoked",
}
MAX_REASON = 5000
MAX_REFERENCE = 100
MAX_SHIPMENT_LINES = 200


class HitsNotReviewed(IllegalTransition):
    """A held licence cannot be released while the hits that held it wait for a reviewer."""


class ShipmentRefused(IllegalTransition):
    """A shipment the licence's state does not allow (not active, or already reversed)."""


def _locked(licence: Licence) -> Licence:
    return Licence.objects.select_for_update(of=("self",)).select_related("application__applicant").get(pk=licence.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason: every action on a licence records why."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"A reason is at most {MAX_REASON:,} characters."})
    return reason


def _save_status(licence: Licence, actor: User, label: str, reason: str) -> int:
    """Save the licence's new status with its reason; returns the history row's id."""
    licence.status_reason = reason
    attribute(licence, actor, f"{label}: {reason}")
    licence.save(update_fields=["status", "status_reason"])
    return int(licence.history.latest().history_id)  # type: ignore[attr-defined]


def unreviewed_hits(application: Application) -> list[str]:
    """What still waits for a reviewer on the request's parties, in words; empty when nothing does."""
    hits = Hit.objects.filter(party__application=application)
    waiting: list[str] = []
    still_open = hits.filter(status=Hit.Status.OPEN).count()
    if still_open:
        waiting.append(f"{still_open} screening hit(s) still open: clear or confirm each first.")
    unacknowledged = hits.awaiting_acknowledgement().count()
    if unacknowledged:
        waiting.append(
            f"{unacknowledged} hit(s) resolved by a list change (entity delisted, or no longer matching) "
            "not yet acknowledged: acknowledge each first."
        )
    return waiting


@transaction.atomic
def act(*, actor: User, licence: Licence, action: str, reason: str) -> Licence:
    """Release, suspend, reinstate or revoke a licence, with a reason; the holder is told by e-mail.

    Reviewers and Compliance admins only, never on a licence issued on their own request. A held
    licence is released only once every hit on its parties is reviewed (the hits re-screening
    found are what held it); revocation is final.
    """
    if action not in OFFICER_ACTIONS:
        raise ValidationError({"action": f"Choose one of: {', '.join(OFFICER_ACTIONS)}."})
    licence = _locked(licence)
    application = licence.application
    require_licence_officer(actor, application, doing=str(LicenceAction(action).label))
    licence.transition(action)
    reason = _reason(reason)
    if action == LicenceAction.RELEASE:
        waiting = unreviewed_hits(application)
        if waiting:
            raise HitsNotReviewed(f"Licence {licence.number} cannot be released yet. " + " ".join(waiting))
    event = _save_status(licence, actor, OFFICER_ACTIONS[action], reason)
    if action == LicenceAction.RELEASE and application.needs_attention:
        # The hits are reviewed and the licence is back in use: the case no longer needs attention.
        application.needs_attention = False
        application.attention_reason = ""
        attribute(application, actor, f"Licence {licence.number} released")
        application.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    emails.licence_changed(licence, action=action, reason=reason, event=event)
    return licence


def release(*, actor: User, licence: Licence, reason: str) -> Licence:
    return act(actor=actor, licence=licence, action=LicenceAction.RELEASE, reason=reason)


def suspend(*, actor: User, licence: Licence, reason: str) -> Licence:
    return act(actor=actor, licence=licence, action=LicenceAction.SUSPEND, reason=reason)


def reinstate(*, actor: User, licence: Licence, reason: str) -> Licence:
    return act(actor=actor, licence=licence, action=LicenceAction.REINSTATE, reason=reason)


def revoke(*, actor: User, licence: Licence, reason: str) -> Licence:
    return act(actor=actor, licence=licence, action=LicenceAction.REVOKE, reason=reason)


@dataclass(frozen=True)
class ShipmentLineData:
    item_id: int
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class ShipmentData:
    shipped_on: date
    reference: str
    consignee_id: int
    lines: Sequence[ShipmentLineData]


def _amount(raw: object, *, field: str, allow_zero: bool) -> Decimal:
    try:
        amount = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter a number."}) from None
    if amount < 0 or (amount == 0 and not allow_zero) or not amount.is_finite():
        raise ValidationError({field: "Enter an amount greater than 0." if not allow_zero else "Enter 0 or more."})
    return amount


def _draw_down(licence: Licence, data: ShipmentData) -> tuple[Party, list[tuple[LineItem, Decimal, Decimal]]]:
    """Check a shipment against the licence's terms and balance; every refusal names its reason."""
    if not licence.shippable:
        raise ShipmentRefused(
            f"Licence {licence.number} is {licence.get_status_display().lower()}: nothing can be shipped under it."
        )
    errors: dict[str, str] = {}
    reference = (data.reference or "").strip()
    if not reference:
        errors["reference"] = "Give the order or invoice number."
    elif len(reference) > MAX_REFERENCE:
        errors["reference"] = f"A reference is at most {MAX_REFERENCE} characters."
    if not (licence.valid_from <= data.shipped_on <= licence.valid_until):
        errors["shipped_on"] = (
            f"{data.shipped_on} is outside the licence's validity ({licence.valid_from} to {licence.valid_until})."
        )
    consignee = Party.objects.filter(pk=data.consignee_id, application_id=licence.application_id).first()
    if consignee is None:
        errors["consignee"] = f"The consignee is not a party on licence {licence.number}."
    if not data.lines:
        errors["lines"] = "Ship at least one line item."
    elif len(data.lines) > MAX_SHIPMENT_LINES:
        errors["lines"] = f"A shipment has at most {MAX_SHIPMENT_LINES} lines."
    balances = {b.item.pk: b for b in licence.balances()}
    seen: set[int] = set()
    lines: list[tuple[LineItem, Decimal, Decimal]] = []
    for position, line in enumerate(data.lines[:MAX_SHIPMENT_LINES]):
        prefix = f"lines[{position}]"
        balance = balances.get(line.item_id)
        if balance is None:
            errors[f"{prefix}.item"] = f"Item {line.item_id} is not on licence {licence.number}."
            continue
        if line.item_id in seen:
            errors[f"{prefix}.item"] = f"{balance.item.eccn} is listed twice: give each item once."
            continue
        seen.add(line.item_id)
        try:
            quantity = _amount(line.quantity, field=f"{prefix}.quantity", allow_zero=False)
            value = _amount(line.value, field=f"{prefix}.value", allow_zero=True)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            continue
        name = f"{balance.item.eccn} {balance.item.description[:40]}"
        if quantity > balance.remaining_quantity:
            errors[f"{prefix}.quantity"] = (
                f"{name}: {quantity} {balance.item.unit} is more than the {balance.remaining_quantity} remaining."
            )
        if value > balance.remaining_value:
            errors[f"{prefix}.value"] = f"{name}: value {value} is more than the {balance.remaining_value} remaining."
        lines.append((balance.item, quantity, value))
    if errors:
        raise ValidationError(errors)
    assert consignee is not None
    return consignee, lines


def _exhaust_if_used_up(licence: Licence, actor: User) -> None:
    if licence.can(LicenceAction.EXHAUST) and all(b.used_up for b in licence.balances()):
        licence.transition(LicenceAction.EXHAUST)
        _save_status(licence, actor, "Exhausted", "Every licensed line is used up.")


@transaction.atomic
def record_shipment(*, actor: User, licence: Licence, data: ShipmentData) -> Shipment:
    """Record a shipment against an active licence's balance (the licence holder).

    Refused, naming the reason and writing nothing: a licence that is not active, more quantity
    or value than remains on a line, a consignee not on the licence, a date outside the validity,
    an item not on the licence. When every line is used up the licence becomes exhausted.
    """
    licence = _locked(licence)
    require_shipper(actor, licence.application)
    return _record(actor=actor, licence=licence, data=data)


def record_locked(*, actor: User, licence: Licence, data: ShipmentData) -> Shipment:
    """Record against a licence the caller has locked and whose actor it has checked.

    The export check's way in: an Integration account ships for the licence holder, with the
    same refusals as the holder's own shipments.
    """
    return _record(actor=actor, licence=licence, data=data)


def _record(*, actor: User, licence: Licence, data: ShipmentData) -> Shipment:
    """Record against a licence already locked and whose actor is already checked."""
    consignee, lines = _draw_down(licence, data)
    shipment = Shipment(
        licence=licence,
        kind=Shipment.Kind.SHIPMENT,
        shipped_on=data.shipped_on,
        reference=data.reference.strip(),
        consignee=consignee,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    attribute(shipment, actor, f"Shipment {shipment.reference} recorded")
    shipment.save()
    for item, quantity, value in lines:
        row = ShipmentLine(shipment=shipment, item=item, quantity=quantity, value=value)
        attribute(row, actor, f"Shipment {shipment.reference}")
        row.save()
    _exhaust_if_used_up(licence, actor)
    return shipment


@transaction.atomic
def reverse_shipment(*, actor: User, shipment: Shipment, reason: str) -> Shipment:
    """Undo a mistaken shipment with a reversal entry: its lines negated, the original kept as it was.

    A shipment is reversed once; a reversal is not itself reversed (record the shipment again).
    Units given back to an exhausted licence make it active again.
    """
    licence = _locked(shipment.licence)
    require_reverser(actor, licence.application)
    shipment = Shipment.objects.select_related("consignee").get(pk=shipment.pk)
    if shipment.kind != Shipment.Kind.SHIPMENT:
        raise ShipmentRefused("A reversal cannot itself be reversed: record the shipment again instead.")
    if Shipment.objects.filter(reverses=shipment).exists():
        raise ShipmentRefused(f"Shipment {shipment.reference} has already been reversed.")
    reason = _reason(reason)
    reversal = Shipment(
        licence=licence,
        kind=Shipment.Kind.REVERSAL,
        shipped_on=shipment.shipped_on,
        reference=shipment.reference,
        consignee=shipment.consignee,
        reverses=shipment,
        reason=reason,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    attribute(reversal, actor, f"Shipment {shipment.reference} reversed: {reason}")
    reversal.save()
    for line in shipment.lines.all():
        row = ShipmentLine(shipment=reversal, item_id=line.item_id, quantity=-line.quantity, value=-line.value)
        attribute(row, actor, f"Reversal of {shipment.reference}")
        row.save()
    if licence.can(LicenceAction.REPLENISH) and not all(b.used_up for b in licence.balances()):
        licence.transition(LicenceAction.REPLENISH)
        _save_status(licence, actor, "Active again", f"Shipment {shipment.reference} reversed: {reason}")
    return reversal


__all__ = [
    "OFFICER_ACTIONS",
    "HitsNotReviewed",
    "IllegalTransition",
    "ShipmentData",
    "ShipmentLineData",
    "ShipmentRefused",
    "act",
    "record_shipment",
    "reinstate",
    "release",
    "reverse_shipment",
    "revoke",
    "suspend",
]


# What an admin does at once to every licence touching a listed entity, and which licences each takes.
BULK_ACTIONS: dict[str, str] = {LicenceAction.SUSPEND: "Suspend", LicenceAction.REVOKE: "Revoke"}


def touching_entity(entity_id: int, action: str) -> list[Licence]:
    """The licences a bulk action on an entity takes: those whose parties hit it and the action can move.

    Suspend takes active licences; revoke takes every licence not yet ended (active, held,
    suspended, exhausted), since a tightened listing ends them all.
    """
    statuses = [status for (status, act_) in LICENCE_TRANSITIONS if act_ == action]
    return list(
        Licence.objects.filter(status__in=statuses, application__parties__hits__entity_id=entity_id)
        .select_related("application__applicant")
        .distinct()
        .order_by("number")
    )


@transaction.atomic
def act_on_entity(*, actor: User, entity_id: int, action: str, reason: str, expected: Sequence[int]) -> list[Licence]:
    """Suspend or revoke, with one reason, every licence whose parties hit an entity (Compliance admins).

    The day a listing's review policy tightens. `expected` is the preview the admin confirmed: if
    the set changed since (a licence issued, released or ended meanwhile) nothing is done and the
    admin is shown the new list, so no licence is acted on unseen.
    """
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only Compliance admins act on every licence of an entity at once.")
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": "Choose suspend or revoke."})
    reason = _reason(reason)
    found = touching_entity(entity_id, action)
    if sorted(lic.pk for lic in found) != sorted(set(expected)):
        raise PreviewOutdated("The licences touching this entity changed since the preview: review the new list.")
    return [act(actor=actor, licence=licence, action=action, reason=reason) for licence in found]


def expiring_soon(*, today: date | None = None, days: int | None = None) -> LicenceQuerySet:
    """Licences in force whose validity ends within `days` (default: the reminder setting)."""
    today = today or timezone.localdate()
    days = settings.LICENCE_EXPIRY_REMINDER_DAYS if days is None else days
    return Licence.objects.filter(
        status__in=LICENCE_IN_FORCE, valid_until__gte=today, valid_until__lte=today + timedelta(days=days)
    )


@transaction.atomic
def remind_expiring(*, today: date | None = None) -> list[int]:
    """Write one reminder per licence and end date to its holder (re-runs and retries write none twice).

    A licence extended by an amendment is a new licence with its own end date, so it is reminded
    again in its time.
    """
    found = list(expiring_soon(today=today).select_related("application__applicant").order_by("valid_until", "pk"))
    for licence in found:
        emails.licence_expiring(licence, balances=licence.balances())
    return [licence.pk for licence in found]


class PreviewOutdated(IllegalTransition):
    """The licences a bulk action would take are not the ones the admin was shown."""
