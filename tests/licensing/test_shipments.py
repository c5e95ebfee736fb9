"""Shipments draw a licence's balance down; every refusal names its reason and records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lib.roles import Role
from licensing import licences
from licensing.licences import ShipmentData, ShipmentLineData, ShipmentRefused
from licensing.models import LedgerIsAppendOnly, Licence, Shipment, ShipmentLine
from licensing.status import LicenceStatus
from licensing.timeline import build_timeline
from tests.factories import make_user
from tests.licensing.factories import item, make_licence, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(db: None) -> User:
    return make_user(Role.SALES, username="holder")


@pytest.fixture
def licence(holder: User, reviewer: User) -> Licence:
    """Two lines: 10 power supplies at 25.00 (250.00) and 4 oscilloscopes at 1,000.00 (4,000.00)."""
    return make_licence(
        applicant=holder,
        reviewer=reviewer,
        parties=[
            party("Maple Leaf Instruments Ltd", role="ultimate_consignee"),
            party("University of Ottawa Physics Lab"),
        ],
        items=[item(quantity="10", unit_price="25.00"), item("3A991", quantity="4", unit_price="1000.00")],
    )


def _lines(licence: Licence) -> list[int]:
    return list(licence.application.items.order_by("pk").values_list("pk", flat=True))


def _consignee(licence: Licence) -> int:
    return licence.application.parties.get(role="ultimate_consignee").pk


def ship(
    licence: Licence,
    *quantities: tuple[int, str, str],
    on: date | None = None,
    consignee: int | None = None,
    reference: str = "SO-1001",
) -> ShipmentData:
    return ShipmentData(
        shipped_on=on or timezone.localdate(),
        reference=reference,
        consignee_id=consignee or _consignee(licence),
        lines=[ShipmentLineData(item_id=i, quantity=Decimal(q), value=Decimal(v)) for i, q, v in quantities],
    )


def remaining(licence: Licence) -> list[tuple[Decimal, Decimal]]:
    return [(b.remaining_quantity, b.remaining_value) for b in licence.balances()]


def test_shipping_twice_uses_the_licence_up_and_it_becomes_exhausted(licence: Licence, holder: User) -> None:
    power, scopes = _lines(licence)
    licences.record_shipment(
        actor=holder, licence=licence, data=ship(licence, (power, "6", "150"), (scopes, "4", "4000"))
    )
    assert remaining(licence) == [(Decimal("4"), Decimal("100")), (Decimal("0"), Decimal("0"))]
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE

    licences.record_shipment(
        actor=holder, licence=licence, data=ship(licence, (power, "4", "100"), reference="SO-1002")
    )
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXHAUSTED
    assert remaining(licence) == [(Decimal("0"), Decimal("0"))] * 2
    assert licence.history.latest().history_change_reason == "Exhausted: Every licensed line is used up."

    with pytest.raises(ShipmentRefused, match=f"Licence {licence.number} is exhausted: nothing can be shipped"):
        licences.record_shipment(actor=holder, licence=licence, data=ship(licence, (power, "1", "0")))


@pytest.mark.parametrize("status", ["on_hold", "suspended", "revoked", "expired", "exhausted"])
def test_a_licence_that_is_not_active_ships_nothing(licence: Licence, holder: User, status: str) -> None:
    Licence.objects.filter(pk=licence.pk).update(status=status)
    power, _ = _lines(licence)
    label = dict(LicenceStatus.choices)[status].lower()
    with pytest.raises(ShipmentRefused, match=f"is {label}: nothing can be shipped under it"):
        licences.record_shipment(actor=holder, licence=licence, data=ship(licence, (power, "1", "25")))
    assert not Shipment.objects.exists()


def _refused(licence: Licence, holder: User, data: ShipmentData) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        licences.record_shipment(actor=holder, licence=licence, data=data)
    assert not Shipment.objects.exists() and not ShipmentLine.objects.exists()
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE
    return caught.value.message_dict


def test_more_quantity_than_remains_is_refused(licence: Licence, holder: User) -> None:
    power, _ = _lines(licence)
    errors = _refused(licence, holder, ship(licence, (power, "11", "250")))
    assert errors == {"lines[0].quantity": ["EAR99 Bench power supplies: 11.00 ea is more than the 10.00 remaining."]}


def test_more_value_than_remains_is_refused(licence: Licence, holder: User) -> None:
    _, scopes = _lines(licence)
    errors = _refused(licence, holder, ship(licence, (scopes, "1", "4000.01")))
    assert errors == {
        "lines[0].value": ["3A991 Bench power supplies: value 4000.01 is more than the 4000.00 remaining."]
    }


def test_a_consignee_not_on_the_licence_is_refused(licence: Licence, holder: User, reviewer: User) -> None:
    other = make_licence(applicant=holder, reviewer=reviewer)
    power, _ = _lines(licence)
    stranger = other.application.parties.get().pk
    errors = _refused(licence, holder, ship(licence, (power, "1", "25"), consignee=stranger))
    assert errors == {"consignee": [f"The consignee is not a party on licence {licence.number}."]}


@pytest.mark.parametrize("days", [-1, 4 * 366 + 1])
def test_a_date_outside_the_validity_is_refused(licence: Licence, holder: User, days: int) -> None:
    power, _ = _lines(licence)
    when = licence.valid_from + timedelta(days=days)
    errors = _refused(licence, holder, ship(licence, (power, "1", "25"), on=when))
    assert errors["shipped_on"] == [
        f"{when} is outside the licence's validity ({licence.valid_from} to {licence.valid_until})."
    ]


def test_an_item_not_on_the_licence_is_refused(licence: Licence, holder: User, reviewer: User) -> None:
    other_item = make_licence(applicant=holder, reviewer=reviewer).application.items.get().pk
    errors = _refused(licence, holder, ship(licence, (other_item, "1", "25")))
    assert errors == {"lines[0].item": [f"Item {other_item} is not on licence {licence.number}."]}


def test_only_the_licence_holder_records_shipments(licence: Licence, reviewer: User, sales2: User) -> None:
    power, _ = _lines(licence)
    for user in (reviewer, sales2):
        with pytest.raises(PermissionDenied):
            licences.record_shipment(actor=user, licence=licence, data=ship(licence, (power, "1", "25")))
    assert not Shipment.objects.exists()


def test_a_reversal_gives_the_units_back_and_reactivates_an_exhausted_licence(
    licence: Licence, holder: User, compliance_admin: User
) -> None:
    power, scopes = _lines(licence)
    licences.record_shipment(actor=holder, licence=licence, data=ship(licence, (scopes, "4", "4000")))
    wrong = licences.record_shipment(
        actor=holder, licence=licence, data=ship(licence, (power, "10", "250"), reference="SO-TYPO")
    )
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.EXHAUSTED

    reversal = licences.reverse_shipment(
        actor=compliance_admin, shipment=wrong, reason="Keyed against the wrong licence."
    )
    assert reversal.reverses == wrong
    assert [(line.quantity, line.value) for line in reversal.lines.all()] == [(Decimal("-10"), Decimal("-250"))]
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE
    assert remaining(licence) == [(Decimal("10"), Decimal("250")), (Decimal("0"), Decimal("0"))]
    # The original entry is still there, as it was: the ledger only grows.
    assert Shipment.objects.filter(pk=wrong.pk, kind="shipment").exists()
    assert Shipment.objects.count() == 3

    with pytest.raises(ShipmentRefused, match="has already been reversed"):
        licences.reverse_shipment(actor=holder, shipment=wrong, reason="Again")
    with pytest.raises(ShipmentRefused, match="A reversal cannot itself be reversed"):
        licences.reverse_shipment(actor=holder, shipment=reversal, reason="Undo the undo")
    timeline = [e for e in build_timeline(licence.application) if e.subject.startswith("Reversal SO-TYPO")]
    assert [(e.actor, e.rationale) for e in timeline] == [("admin", "Keyed against the wrong licence.")]


def test_the_ledger_cannot_be_edited_or_deleted(licence: Licence, holder: User) -> None:
    power, _ = _lines(licence)
    shipment = licences.record_shipment(actor=holder, licence=licence, data=ship(licence, (power, "1", "25")))
    shipment.reference = "changed"
    with pytest.raises(LedgerIsAppendOnly):
        shipment.save()
    with pytest.raises(LedgerIsAppendOnly):
        shipment.delete()
    with pytest.raises(LedgerIsAppendOnly):
        shipment.lines.get().delete()
    assert Shipment.objects.get().reference == "SO-1001"


def test_the_licence_page_records_a_shipment_and_shows_licensed_shipped_and_remaining(
    licence: Licence, holder: User, client_for: Callable[[User], Client]
) -> None:
    power, _ = _lines(licence)
    client = client_for(holder)
    url = reverse("licensing:shipment_create", args=[licence.pk])
    form = {
        "shipped_on": timezone.localdate().isoformat(),
        "reference": "INV-77",
        "consignee": _consignee(licence),
        f"quantity_{power}": "3",
        f"value_{power}": "75",
    }
    page = client.post(url, form, follow=True).content.decode()
    assert "Shipment INV-77 recorded" in page
    assert "<td>10.00 ea</td><td>3.00</td><td>7.00</td><td>250.00</td><td>75.00</td><td>175.00</td>" in page

    page = client.post(url, {**form, f"quantity_{power}": "8", f"value_{power}": "1"}).content.decode()
    assert "8.00 ea is more than the 7.00 remaining" in page
    assert Shipment.objects.count() == 1


def test_the_api_records_lists_and_reverses_shipments(licence: Licence, holder: User) -> None:
    power, _ = _lines(licence)
    api = APIClient()
    api.force_authenticate(holder)
    body = {
        "shipped_on": timezone.localdate().isoformat(),
        "reference": "PO-9",
        "consignee": _consignee(licence),
        "lines": [{"item": power, "quantity": "10", "value": "250"}],
    }
    url = reverse("api-licence-shipments", args=[licence.pk])
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    again = api.post(url, {**body, "lines": [{"item": power, "quantity": "1", "value": "0"}]}, format="json")
    assert again.status_code == 400
    assert again.json()["lines[0].quantity"] == ["EAR99 Bench power supplies: 1.00 ea is more than the 0.00 remaining."]

    detail = api.get(reverse("api-licence", args=[licence.pk])).json()
    assert [(b["shipped_quantity"], b["remaining_quantity"], b["used_up"]) for b in detail["balance"]] == [
        ("10.00", "0.00", True),
        ("0.00", "4.00", False),
    ]
    reverse_url = reverse("api-shipment-reverse", args=[response.json()["id"]])
    reversal = api.post(reverse_url, {"reason": "Order cancelled before it left."}, format="json")
    assert reversal.status_code == 201
    assert [e["kind"] for e in api.get(url).json()] == ["shipment", "reversal"]
