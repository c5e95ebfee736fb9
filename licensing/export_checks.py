"""The export check: one call an order or shipping system makes before an order leaves.

It answers allowed or blocked with every reason: the parties screened against the current list
version (with the matcher's explanation), the licence's state and remaining balance, or with no
licence the licence determination. Every check is logged (`ExportCheck`); with `record` it also
records the shipment under the licence's lock, and with an idempotency key a retry gets the first
answer back and never ships twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.index import get_index
from compliance.matcher import Match
from compliance.normalise import normalise
from compliance.screening import current_threshold, entity_details
from lib.errors import Conflict
from lib.roles import Role, has_role
from licensing import licences
from licensing.determination import ItemFacts, ListedFacts, determine
from licensing.models import ExportCheck, Hit, Licence, LineBalance, Party
from licensing.services import country_chart
from licensing.validators import normalise_eccn


@dataclass(frozen=True)
class CheckParty:
    name: str
    country: str
    address: str = ""


@dataclass(frozen=True)
class CheckItem:
    eccn: str
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class CheckRequest:
    consignee: CheckParty
    end_user: CheckParty
    items: Sequence[CheckItem]
    licence_number: str = ""
    shipped_on: date | None = None
    reference: str = ""
    record: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = [{**i, "quantity": str(i["quantity"]), "value": str(i["value"])} for i in data["items"]]
        data["shipped_on"] = self.shipped_on.isoformat() if self.shipped_on else None
        return data


@dataclass
class Answer:
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    list_version: int | None = None
    screening: list[dict[str, Any]] = field(default_factory=list)
    licence: dict[str, Any] | None = None
    determination: dict[str, Any] | None = None
    shipment: int | None = None


class IdempotencyKeyReused(Conflict):
    """The same key came back with a different request: the caller has a bug, not a retry."""


def _same_party(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def _screen(parties: Sequence[tuple[str, CheckParty]]) -> tuple[int | None, list[tuple[str, CheckParty, Match]]]:
    index = get_index()
    threshold = current_threshold()
    found: list[tuple[str, CheckParty, Match]] = []
    for role, party in parties:
        for match in index.search(
            party.name, country=party.country or None, address=party.address or None, threshold=threshold, limit=5
        ):
            found.append((role, party, match))
    return index.version, found


def _licence_party(licence: Licence, party: CheckParty) -> Party | None:
    for candidate in licence.application.parties.all():
        if candidate.country == party.country.upper() and _same_party(candidate.name, party.name):
            return candidate
    return None


def _balance_json(balances: Sequence[LineBalance]) -> list[dict[str, Any]]:
    return [
        {
            "item": b.item.pk,
            "eccn": b.item.eccn,
            "licensed_quantity": str(b.licensed_quantity),
            "remaining_quantity": str(b.remaining_quantity),
            "licensed_value": str(b.licensed_value),
            "remaining_value": str(b.remaining_value),
        }
        for b in balances
    ]


def _assess(request: CheckRequest, answer: Answer) -> tuple[Licence | None, licences.ShipmentData | None]:
    """Fill `answer` with every reason; returns the locked licence and the shipment to record, if any."""
    parties = [("consignee", request.consignee), ("end user", request.end_user)]
    version, matches = _screen(parties)
    answer.list_version = version
    details = entity_details([m.key for _, _, m in matches])
    licence: Licence | None = None
    known: set[tuple[str, int]] = set()
    if request.licence_number.strip():
        licences_ = Licence.objects.select_related("application").filter(number=request.licence_number.strip())
        if request.record:
            # Only a check that may ship locks the licence: the balance read here is then the one
            # the shipment draws on. A plain question reads without waiting on other callers.
            licences_ = licences_.select_for_update(of=("self",))
        licence = licences_.first()
        if licence is None:
            answer.reasons.append(f"No licence numbered {request.licence_number.strip()}.")
    shipment: licences.ShipmentData | None = None
    matched_parties: dict[str, Party | None] = {}
    if licence is not None:
        for role, party in parties:
            matched_parties[role] = _licence_party(licence, party)
            if matched_parties[role] is None:
                answer.reasons.append(
                    f"The {role} {party.name} ({party.country}) is not a party on licence {licence.number}."
                )
        # A hit the licence's reviewers already weighed (cleared, or confirmed and licensed
        # anyway) is not news; a hit on any other entity is a listing the licence never saw.
        for role, found in matched_parties.items():
            if found is not None:
                reviewed = Hit.objects.filter(
                    party=found, status__in=[Hit.Status.CLEARED, Hit.Status.CONFIRMED, Hit.Status.ACKNOWLEDGED]
                ).values_list("entity_id", flat=True)
                known |= {(role, entity_id) for entity_id in reviewed}
    for role, party, match in matches:
        weighed = (role, match.key) in known
        answer.screening.append(
            {
                "party": role,
                "name": party.name,
                **match.as_dict(),
                **{k: v for k, v in details.get(match.key, {}).items() if k != "pk"},
                "reviewed_on_licence": weighed,
            }
        )
        if not weighed:
            answer.reasons.append(
                f"The {role} {party.name} matches {match.name} on the {match.source} list "
                f"(score {match.score:.2f}, list version {version})."
            )
    if licence is None:
        if not request.licence_number.strip():
            chart = country_chart()
            listed = [
                ListedFacts(
                    party_name=party.name,
                    entity_name=match.name,
                    source=match.source,
                    license_requirement=str(details.get(match.key, {}).get("license_requirement") or ""),
                    license_policy=str(details.get(match.key, {}).get("license_policy") or ""),
                    status="open",
                )
                for _, party, match in matches
            ]
            result = determine(
                items=[ItemFacts(eccn=i.eccn) for i in request.items],
                destination=request.end_user.country,
                listed=listed,
                chart=chart,
            )
            answer.determination = result.as_dict()
            if result.required:
                answer.reasons.append("A licence is required: " + "; ".join(result.reasons))
        return None, None
    balances = licence.balances()
    answer.licence = {
        "number": licence.number,
        "status": licence.status,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat(),
        "balance": _balance_json(balances),
    }
    if not licence.shippable:
        answer.reasons.append(f"Licence {licence.number} is {licence.get_status_display().lower()}.")
    on = request.shipped_on or timezone.localdate()
    if not (licence.valid_from <= on <= licence.valid_until):
        answer.reasons.append(
            f"{on} is outside licence {licence.number}'s validity ({licence.valid_from} to {licence.valid_until})."
        )
    lines: list[licences.ShipmentLineData] = []
    for position, wanted in enumerate(request.items):
        eccn = normalise_eccn(wanted.eccn)
        candidates = [b for b in balances if b.item.eccn == eccn]
        if not candidates:
            answer.reasons.append(f"Item {position + 1}: {eccn} is not on licence {licence.number}.")
            continue
        fits = [b for b in candidates if b.remaining_quantity >= wanted.quantity and b.remaining_value >= wanted.value]
        if not fits:
            best = max(candidates, key=lambda b: b.remaining_quantity)
            answer.reasons.append(
                f"Item {position + 1}: {eccn} {wanted.quantity} (value {wanted.value}) is more than remains on "
                f"licence {licence.number}: {best.remaining_quantity} {best.item.unit}, value {best.remaining_value}."
            )
            continue
        lines.append(licences.ShipmentLineData(item_id=fits[0].item.pk, quantity=wanted.quantity, value=wanted.value))
    consignee = matched_parties.get("consignee")
    if request.record and consignee is not None:
        shipment = licences.ShipmentData(
            shipped_on=on, reference=request.reference, consignee_id=consignee.pk, lines=lines
        )
    return licence, shipment


def _hash(request: CheckRequest) -> str:
    return hashlib.sha256(json.dumps(request.as_json(), sort_keys=True).encode()).hexdigest()


def _previous(actor: User, key: str, digest: str) -> ExportCheck | None:
    previous = ExportCheck.objects.filter(requested_by=actor, idempotency_key=key).first()
    if previous is not None and previous.request_hash != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request; use a new key for a new request."
        )
    return previous


def check(*, actor: User, request: CheckRequest, idempotency_key: str = "") -> tuple[ExportCheck, bool]:
    """Answer an order system's check, log it, and with `record` ship under the licence.

    Returns the logged check and whether it is a replay of an earlier one with the same key.
    Recording needs an idempotency key: a shipping system retries on timeouts, and a retry must
    never draw the balance down twice.
    """
    if not has_role(actor, Role.INTEGRATION):
        raise PermissionDenied("Only Integration accounts call the export check.")
    key = idempotency_key.strip()
    if request.record and not key:
        raise ValidationError({"Idempotency-Key": "Recording a shipment needs an Idempotency-Key header."})
    if request.record and not request.licence_number.strip():
        raise ValidationError({"licence_number": "Recording a shipment needs the licence it ships under."})
    if request.record and not request.reference.strip():
        raise ValidationError({"reference": "Recording a shipment needs the order or invoice number."})
    digest = _hash(request)
    if key:
        previous = _previous(actor, key, digest)
        if previous is not None:
            return previous, True
    try:
        with transaction.atomic():
            return _check(actor=actor, request=request, key=key, digest=digest), False
    except IntegrityError:
        # The same key raced in from a retry: that one's answer (and shipment) stands, ours is gone.
        previous = _previous(actor, key, digest)
        if previous is None:
            raise
        return previous, True


def _check(*, actor: User, request: CheckRequest, key: str, digest: str) -> ExportCheck:
    answer = Answer(allowed=False)
    licence, shipment_data = _assess(request, answer)
    answer.allowed = not answer.reasons
    shipment = None
    if answer.allowed and request.record and licence is not None and shipment_data is not None:
        # Under the lock `_assess` took: the balance it read is the balance the shipment draws on.
        shipment = licences.record_locked(actor=actor, licence=licence, data=shipment_data)
        answer.shipment = shipment.pk
        licence.refresh_from_db(fields=["status"])
        answer.licence = {
            **(answer.licence or {}),
            "status": licence.status,
            "balance": _balance_json(licence.balances()),
        }
    if answer.allowed and not answer.reasons:
        answer.reasons.append(
            "Allowed: no party matches the list"
            + (f" beyond what licence {licence.number} was reviewed for" if licence else "")
            + (", and the licence covers every item." if licence else ", and no licence is required.")
        )
    return ExportCheck.objects.create(
        requested_by=actor,
        idempotency_key=key,
        request_hash=digest,
        payload=request.as_json(),
        answer=asdict(answer),
        allowed=answer.allowed,
        list_version=answer.list_version,
        licence=licence,
        licence_number=request.licence_number.strip()[:40],
        reference=request.reference.strip()[:100],
        consignee_name=request.consignee.name[:300],
        end_user_name=request.end_user.name[:300],
        shipment=shipment,
    )
