"""The export check: an order system asks before an order leaves, and gets every reason."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance import index
from entities.services import create_entity
from lib.roles import Role
from licensing import licences
from licensing.models import ExportCheck, Licence, Shipment
from licensing.status import LicenceStatus
from tests.factories import make_record, make_user
from tests.licensing.factories import item, make_licence, party

pytestmark = pytest.mark.django_db

URL = "/api/v1/export-checks/"


@pytest.fixture
def system(db: None) -> User:
    return make_user(Role.INTEGRATION, username="erp")


@pytest.fixture
def erp(system: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=system)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def licence(reviewer: User) -> Licence:
    """10 bench power supplies (EAR99) at 25.00 to a Canadian university, through a distributor."""
    return make_licence(
        applicant=make_user(Role.SALES, username="holder"),
        reviewer=reviewer,
        parties=[
            party("Maple Leaf Instruments Ltd", role="ultimate_consignee"),
            party("University of Ottawa Physics Lab"),
        ],
        items=[item(quantity="10", unit_price="25.00")],
    )


def body(licence: Licence | None = None, *, quantity: str = "4", value: str = "100", **extra: Any) -> dict[str, Any]:
    return {
        "licence_number": licence.number if licence else None,
        "consignee": {"name": "MAPLE LEAF INSTRUMENTS LTD.", "country": "CA", "address": "1 Main Street, Ottawa"},
        "end_user": {"name": "University of Ottawa Physics Lab", "country": "ca"},
        "items": [{"eccn": "ear99", "quantity": quantity, "value": value}],
        **extra,
    }


def test_an_order_within_an_active_licence_is_allowed_with_its_balance(erp: APIClient, licence: Licence) -> None:
    response = erp.post(URL, body(licence), format="json")
    assert response.status_code == 200, response.content
    answer = response.json()["answer"]
    assert answer["allowed"] is True
    assert answer["licence"]["status"] == "active"
    assert answer["licence"]["balance"][0]["remaining_quantity"] == "10.00"
    assert answer["list_version"] is not None
    assert answer["shipment"] is None
    assert not Shipment.objects.exists()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"quantity": "11", "value": "100"}, "is more than remains on licence"),
        ({"value": "250.01"}, "is more than remains on licence"),
        ({"items": [{"eccn": "5A002", "quantity": "1", "value": "1"}]}, "5A002 is not on licence"),
        (
            {"consignee": {"name": "Other Freight Co", "country": "CA"}},
            "The consignee Other Freight Co (CA) is not a party",
        ),
        ({"licence_number": "CL-1999-000001"}, "No licence numbered CL-1999-000001."),
    ],
)
def test_an_order_the_licence_does_not_cover_is_blocked_with_the_reason(
    erp: APIClient, licence: Licence, change: dict[str, Any], reason: str
) -> None:
    payload = body(licence, **{k: v for k, v in change.items() if k in {"quantity", "value"}})
    payload.update({k: v for k, v in change.items() if k not in {"quantity", "value"}})
    answer = erp.post(URL, payload, format="json").json()["answer"]
    assert answer["allowed"] is False
    assert any(reason in r for r in answer["reasons"]), answer["reasons"]


def test_a_licence_that_is_not_active_blocks_the_order(
    erp: APIClient, licence: Licence, compliance_admin: User
) -> None:
    licences.suspend(actor=compliance_admin, licence=licence, reason="Under review")
    answer = erp.post(URL, body(licence), format="json").json()["answer"]
    assert answer["allowed"] is False
    assert f"Licence {licence.number} is suspended." in answer["reasons"]


def test_a_party_listed_today_blocks_the_order_with_the_explanation(
    erp: APIClient, licence: Licence, compliance_admin: User
) -> None:
    create_entity(
        actor=compliance_admin,
        record=make_record("University of Ottawa Physics Lab", country="CA"),
        reason="Hypothetical listing for the test",
    )
    index.reset_index()  # as if the index's few seconds of caching had run out
    answer = erp.post(URL, body(licence), format="json").json()["answer"]
    assert answer["allowed"] is False
    [hit] = answer["screening"]
    assert hit["party"] == "end user" and hit["reviewed_on_licence"] is False
    assert hit["explanation"]["query_normalised"]
    assert hit["license_policy"] == "presumption_of_denial"
    check = ExportCheck.objects.get()
    assert check.list_version == answer["list_version"] and check.requested_by.username == "erp"
    assert any("matches University of Ottawa Physics Lab" in r for r in answer["reasons"])


def test_without_a_licence_the_determination_answers(erp: APIClient, compliance_admin: User) -> None:
    answer = erp.post(URL, body(None), format="json").json()["answer"]
    assert answer["allowed"] is True
    assert answer["determination"]["required"] is False

    create_entity(actor=compliance_admin, record=make_record("Maple Leaf Instruments", country="CA"), reason="test")
    index.reset_index()
    answer = erp.post(URL, body(None), format="json").json()["answer"]
    assert answer["allowed"] is False
    assert answer["determination"]["required"] is True
    assert any(r.startswith("A licence is required: ") for r in answer["reasons"])


def test_recording_ships_once_however_often_the_same_key_is_retried(erp: APIClient, licence: Licence) -> None:
    payload = body(licence, record=True, reference="SO-555")
    first = erp.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-555")
    assert first.status_code == 200 and first["Idempotent-Replayed"] == "false"
    assert first.json()["answer"]["shipment"] == Shipment.objects.get().pk
    assert first.json()["answer"]["licence"]["balance"][0]["remaining_quantity"] == "6.00"

    retry = erp.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-555")
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Shipment.objects.count() == 1 and ExportCheck.objects.count() == 1

    changed = erp.post(URL, {**payload, "reference": "SO-556"}, format="json", HTTP_IDEMPOTENCY_KEY="order-555")
    assert changed.status_code == 409
    assert Shipment.objects.count() == 1


def test_recording_needs_a_key_and_a_blocked_check_records_nothing(erp: APIClient, licence: Licence) -> None:
    response = erp.post(URL, body(licence, record=True, reference="SO-1"), format="json")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    blocked = erp.post(
        URL, body(licence, quantity="11", record=True, reference="SO-1"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert blocked.json()["answer"]["allowed"] is False
    assert not Shipment.objects.exists()


def test_shipping_the_last_units_through_the_check_exhausts_the_licence(erp: APIClient, licence: Licence) -> None:
    payload = body(licence, quantity="10", value="250", record=True, reference="SO-ALL")
    answer = erp.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="all").json()["answer"]
    assert answer["allowed"] is True and answer["licence"]["status"] == "exhausted"
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.EXHAUSTED


def test_an_integration_token_reaches_the_export_check_and_nothing_else(erp: APIClient, system: User) -> None:
    assert erp.get("/api/v1/applications/").status_code == 403
    assert erp.get("/api/v1/entities/").status_code == 403
    assert erp.get(URL).status_code == 403
    browser = Client()
    browser.force_login(system)
    assert browser.get(reverse("dashboard")).status_code == 403
    assert browser.get(reverse("entities:list")).status_code == 403


def test_only_integration_accounts_post_and_admins_search_the_log(
    erp: APIClient, licence: Licence, compliance_admin: User, reviewer: User
) -> None:
    erp.post(URL, body(licence, reference="SO-FIND-ME"), format="json")
    erp.post(URL, body(licence, quantity="99"), format="json")
    api = APIClient()
    api.force_authenticate(reviewer)
    assert api.post(URL, body(licence), format="json").status_code == 403
    assert api.get(URL).status_code == 403
    api.force_authenticate(compliance_admin)
    rows = api.get(URL, {"q": "find-me"}).json()["results"]
    assert [(r["reference"], r["allowed"], r["requested_by"]) for r in rows] == [("SO-FIND-ME", True, "erp")]
    blocked = api.get(URL, {"allowed": "false"}).json()["results"]
    assert len(blocked) == 1 and blocked[0]["answer"]["allowed"] is False
    assert timezone.now() >= ExportCheck.objects.first().requested_at  # type: ignore[union-attr]


def test_the_command_issues_a_token_that_reaches_the_export_check(licence: Licence) -> None:
    out = io.StringIO()
    call_command("integration_token", "sap-orders", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert client.post(URL, body(licence), format="json").json()["answer"]["allowed"] is True
    assert not User.objects.get(username="sap-orders").has_usable_password()
