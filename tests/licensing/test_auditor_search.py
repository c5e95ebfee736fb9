"""An auditor finds a request, decided or not, by its reference, a party's name or a listed entity."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from licensing.models import Application
from tests.factories import make_entity
from tests.lib.cases import decide_request, file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(sales: User, reviewer: User) -> Application:
    make_entity("Shenzhen Widget Trading Company", country="CN")
    application = file_request(sales, end_user="Shenzhen Widget Trading Ltd")
    decide_request(reviewer, application, outcome="denied")
    return application


@pytest.fixture
def other(sales: User) -> Application:
    return file_request(sales, end_user="Maple Leaf Instruments Ltd", country="CA")


def search(client: Client, query: str) -> str:
    return client.get(reverse("licensing:queue"), {"q": query}).content.decode()


def test_an_auditor_finds_a_decided_request_by_party_name_reference_or_listed_entity(
    decided: Application, other: Application, auditor: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(auditor)
    assert str(decided.reference) not in client.get(reverse("licensing:queue")).content.decode(), (
        "the working queue shows open requests only"
    )
    for query in ("widget trading ltd", str(decided.reference), "Widget Trading Company"):
        page = search(client, query)
        assert str(decided.reference) in page, query
        assert str(other.reference) not in page, query
        assert "1 request" in page


def test_the_search_is_in_the_api_too(
    decided: Application, other: Application, auditor: User, api_for: Callable[[User], object]
) -> None:
    response = api_for(auditor).get("/api/v1/applications/", {"q": "Widget"})  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [decided.reference]


def _csv(response: object) -> list[dict[str, str]]:
    import csv
    import io

    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_the_decisions_export_is_filtered_by_date_and_names_parties_eccns_and_licence_status(
    decided: Application, sales: User, reviewer: User, auditor: User, client_for: Callable[[User], Client]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from licensing.models import Decision, Licence

    approved = file_request(sales, end_user="Maple Leaf Instruments Ltd", country="CA")
    decide_request(reviewer, approved)
    Licence.objects.filter(application=approved).update(status="on_hold")
    last_month = timezone.now() - timedelta(days=30)
    Decision.objects.filter(application=decided).update(decided_at=last_month)
    client = client_for(auditor)
    today = timezone.localdate().isoformat()

    rows = _csv(client.get(reverse("export_decisions"), {"from": today, "to": today}))

    assert [row["reference"] for row in rows] == [approved.reference]
    assert rows[0]["parties"] == "End user: Maple Leaf Instruments Ltd (CA)"
    assert rows[0]["eccns"] == "EAR99"
    assert rows[0]["licence_status"] == "On hold"
    earlier = _csv(client.get(reverse("export_decisions"), {"to": last_month.date().isoformat()}))
    assert [row["reference"] for row in earlier] == [decided.reference]
    assert client.get(reverse("export_decisions"), {"from": "29/11/2026"}).status_code == 400
