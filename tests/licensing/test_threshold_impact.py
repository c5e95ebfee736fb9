"""A threshold change is previewed against open work before it is saved, and the preview changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compliance import screening
from compliance.models import RescreenJob, ScreeningConfig
from licensing.impact import preview_threshold
from licensing.models import Application, Hit
from tests.factories import make_entity
from tests.licensing.factories import make_application, party


@pytest.fixture
def cases(compliance_admin: Any) -> dict[str, Application]:
    screening.set_threshold(actor=compliance_admin, threshold=0.9, reason="strict")
    make_entity("Shenzhen Bluewave Semiconductor Co Ltd", actor=compliance_admin, country="CN")
    make_entity("Rostok Marine Engineering", actor=compliance_admin, country="RU")
    return {
        "exact": make_application(
            destination="CN", parties=[party("Shenzhen Bluewave Semiconductor Co Ltd", country="CN")], submitted=True
        ),
        "near": make_application(
            destination="RU", parties=[party("Rostock Maritime Engineering Group", country="RU")], submitted=True
        ),
        "clean": make_application(destination="CA", parties=[party("Maple Leaf Instruments Ltd")], submitted=True),
    }


def footprint() -> tuple[int, ...]:
    return (
        Hit.objects.count(),
        Hit.history.count(),
        RescreenJob.objects.count(),
        Application.history.count(),
        ScreeningConfig.history.count(),
    )


def test_lowering_the_threshold_shows_the_cases_that_would_gain_hits_and_changes_nothing(
    cases: dict[str, Application],
) -> None:
    assert not Hit.objects.filter(party__application=cases["near"]).exists()
    before = footprint()
    impact = preview_threshold(0.7)
    assert footprint() == before
    assert ScreeningConfig.load().threshold == 0.9
    assert (impact.requests_gaining, impact.hits_gained) == (1, 1)
    [case] = impact.cases
    assert case.reference == cases["near"].reference
    [new] = case.new_hits
    assert new["entity_name"] == "Rostok Marine Engineering"
    assert 0.7 <= new["score"] < 0.9


def test_raising_the_threshold_shows_the_hits_that_would_go_without_screening(
    cases: dict[str, Application],
) -> None:
    hit = Hit.objects.get(party__application=cases["exact"])
    impact = preview_threshold(min(1.0, hit.score + 0.001)) if hit.score < 1.0 else preview_threshold(1.0)
    if hit.score >= 1.0:
        assert impact.hits_lost == 0
        return
    assert impact.parties_screened == 0
    assert (impact.requests_losing, impact.hits_lost) == (1, 1)
    assert impact.cases[0].lost_hits[0]["status"] == "open"


def test_the_page_and_the_api_preview_and_only_admins_and_auditors_may(
    cases: dict[str, Application], compliance_admin: Any, auditor: Any, reviewer: Any
) -> None:
    client = Client()
    client.force_login(compliance_admin)
    page = client.get(reverse("licensing:threshold_impact"), {"threshold": "0.7"}).content.decode()
    assert str(cases["near"].reference) in page
    assert "Rostok Marine Engineering" in page
    assert "Set the threshold to 0.70" in page
    assert "Preview impact" in client.get(reverse("compliance:settings")).content.decode()

    api = APIClient()
    api.force_authenticate(auditor)
    body = api.get(reverse("api-threshold-impact"), {"threshold": "0.7"}).json()
    assert body["open_requests"] == {"gaining_hits": 1, "losing_hits": 0}
    assert body["most_affected"][0]["reference"] == cases["near"].reference
    assert api.get(reverse("api-threshold-impact"), {"threshold": "2"}).status_code == 400
    api.force_authenticate(reviewer)
    assert api.get(reverse("api-threshold-impact"), {"threshold": "0.7"}).status_code == 403
