"""Two shipments race for the last units of a line, each on its own database connection."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from lib.roles import Role
from licensing import licences
from licensing.licences import ShipmentData, ShipmentLineData
from licensing.models import Shipment
from licensing.status import LicenceStatus
from tests.factories import make_user
from tests.licensing.factories import item, make_licence


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_two_shipments_racing_for_the_last_units_lands() -> None:
    holder = make_user(Role.SALES, username="holder")
    licence = make_licence(
        applicant=holder, reviewer=make_user(Role.REVIEWER), items=[item(quantity="5", unit_price="10.00")]
    )
    line = licence.application.items.get()
    consignee = licence.application.parties.get()
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def ship(reference: str) -> None:
        data = ShipmentData(
            shipped_on=timezone.localdate(),
            reference=reference,
            consignee_id=consignee.pk,
            lines=[ShipmentLineData(item_id=line.pk, quantity=Decimal("5"), value=Decimal("50"))],
        )
        try:
            barrier.wait(timeout=10)
            licences.record_shipment(actor=holder, licence=licence, data=data)
            outcomes[reference] = "shipped"
        except ValidationError as exc:
            outcomes[reference] = exc.messages
        except Exception as exc:  # the other refusal (the licence already exhausted) is as good
            outcomes[reference] = str(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ship, args=(ref,)) for ref in ("SO-A", "SO-B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, outcomes.values())).count("shipped") == 1, outcomes
    assert Shipment.objects.count() == 1
    winner = Shipment.objects.get().reference
    loser = "SO-B" if winner == "SO-A" else "SO-A"
    assert "exhausted" in str(outcomes[loser]) or "more than the 0.00 remaining" in str(outcomes[loser])
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXHAUSTED
    assert [b.remaining_quantity for b in licence.balances()] == [Decimal("0")]
