"""The holder amends a licence: a new request, reviewed like any other; approved, it supersedes the old."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lib.roles import Role
from licensing import licences, services
from licensing.licences import ShipmentData, ShipmentLineData, ShipmentRefused
from licensing.models import Application, Licence
from licensing.status import IllegalTransition, LicenceStatus, Status
from tests.factories import make_user
from tests.licensing.factories import item, make_licence

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(db: None) -> User:
    return make_user(Role.SALES, username="holder")


@pytest.fixture
def licence(holder: User, reviewer: User) -> Licence:
    return make_licence(applicant=holder, reviewer=reviewer, items=[item(quantity="10", unit_price="25.00")])


def _ship(holder: User, licence: Licence, quantity: str, value: str) -> None:
    line = licence.application.items.get()
    licences.record_shipment(
        actor=holder,
        licence=licence,
        data=ShipmentData(
            shipped_on=timezone.localdate(),
            reference=f"SO-{quantity}",
            consignee_id=licence.application.parties.get().pk,
            lines=[ShipmentLineData(item_id=line.pk, quantity=Decimal(quantity), value=Decimal(value))],
        ),
    )


def _amend_to(holder: User, licence: Licence, *, quantity: str, until: date | None = None) -> Application:
    amendment = services.request_amendment(actor=holder, licence=licence)
    assert amendment.amends == licence and amendment.status == Status.DRAFT
    data = services.ApplicationData(
        type=amendment.type,
        destination_country=amendment.destination_country,
        end_use=amendment.end_use,
        requested_valid_until=until,
        parties=tuple(
            services.PartyData(id=p.pk, role=p.role, name=p.name, country=p.country, address=p.address)
            for p in amendment.parties.all()
        ),
        items=tuple(
            services.ItemData(
                id=i.pk, eccn=i.eccn, description=i.description, quantity=Decimal(quantity), unit_price=i.unit_price
            )
            for i in amendment.items.all()
        ),
    )
    services.update_draft(actor=holder, application=amendment, data=data)
    return services.submit(actor=holder, application=amendment)


def test_an_approved_amendment_supersedes_the_licence_and_what_shipped_carries_over(
    holder: User, reviewer: User, licence: Licence
) -> None:
    _ship(holder, licence, "6", "150")
    later = licence.valid_until + timedelta(days=365)
    amendment = _amend_to(holder, licence, quantity="20", until=later)
    services.decide(actor=reviewer, application=amendment, outcome="approved", rationale="More units, same end use.")

    licence.refresh_from_db()
    new = Licence.objects.get(application=amendment)
    assert licence.status == LicenceStatus.SUPERSEDED
    assert licence.status_reason == f"Superseded by {new.number} (amendment {amendment.reference})."
    assert new.supersedes == licence and new.status == LicenceStatus.ACTIVE
    assert new.valid_from == licence.valid_from and new.valid_until == later
    [balance] = new.balances()
    assert (balance.licensed_quantity, balance.shipped_quantity, balance.remaining_quantity) == (
        Decimal("20"),
        Decimal("6"),
        Decimal("14"),
    )
    # The old version stays readable, and no longer ships.
    [old_balance] = licence.balances()
    assert old_balance.shipped_quantity == Decimal("6")
    with pytest.raises(ShipmentRefused, match="is superseded by an amendment"):
        _ship(holder, licence, "1", "25")
    _ship(holder, new, "14", "350")
    assert Licence.objects.get(pk=new.pk).status == LicenceStatus.EXHAUSTED


def test_one_amendment_at_a_time_and_none_of_an_ended_licence(
    holder: User, licence: Licence, compliance_admin: User, reviewer: User
) -> None:
    pending = services.request_amendment(actor=holder, licence=licence)
    with pytest.raises(IllegalTransition, match=f"already has an amendment under way: {pending.reference}"):
        services.request_amendment(actor=holder, licence=licence)
    services.withdraw(actor=holder, application=pending)
    services.request_amendment(actor=holder, licence=licence)

    ended = make_licence(applicant=holder, reviewer=reviewer)
    licences.revoke(actor=compliance_admin, licence=ended, reason="Listed")
    with pytest.raises(IllegalTransition, match=r"A licence that is revoked cannot be amended\."):
        services.request_amendment(actor=holder, licence=ended)


def test_an_amendment_may_not_shorten_the_licence(holder: User, licence: Licence) -> None:
    with pytest.raises(ValidationError, match="may extend the licence, not shorten it"):
        _amend_to(holder, licence, quantity="10", until=licence.valid_until - timedelta(days=1))


def test_the_page_and_the_api_start_an_amendment(
    holder: User, licence: Licence, client_for: Callable[[User], Client]
) -> None:
    response = client_for(holder).post(reverse("licensing:licence_amend", args=[licence.pk]), follow=True)
    page = response.content.decode()
    assert "drafted: change what you need, then submit it." in page
    assert "Requested end date" in page
    api = APIClient()
    api.force_authenticate(holder)
    again = api.post(reverse("api-licence-amend", args=[licence.pk]))
    assert again.status_code == 409
    detail = api.get(reverse("api-licence", args=[licence.pk])).json()
    assert detail["superseded_by"] is None
