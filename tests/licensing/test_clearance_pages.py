"""Remembered clearances through the pages and the API: remember, list, search, revoke, settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.models import ScreeningConfig
from entities.models import Entity
from licensing.models import Application, Hit, RememberedClearance
from tests.factories import make_entity
from tests.licensing.factories import make_application, party

NAME = "Bluewave Semiconductor Trading Co., Ltd."


@pytest.fixture
def entity(compliance_admin: Any) -> Entity:
    return make_entity("Bluewave Semiconductor", actor=compliance_admin, license_policy="case_by_case")


def file_request(name: str = NAME) -> Application:
    return make_application(
        destination="CN", parties=[party(name, country="CN", address="8 Keji Road, Shenzhen")], submitted=True
    )


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_as(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_reviewer_remembers_a_clearance_on_the_case_page_and_the_next_request_shows_the_link(
    entity: Entity, reviewer: Any
) -> None:
    first = file_request()
    hit = Hit.objects.get(party__application=first)
    client = signed_in(reviewer)
    page = client.get(reverse("licensing:detail", args=[first.pk])).content.decode()
    assert "Remember this clearance" in page
    response = client.post(
        reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "A trading house, not the fab", "remember": "on"}
    )
    assert response.status_code == 302
    clearance = RememberedClearance.objects.get()

    second = file_request()
    page = client.get(reverse("licensing:detail", args=[second.pk])).content.decode()
    assert f"Cleared by remembered clearance #{clearance.pk}" in page
    assert reverse("licensing:clearance", args=[clearance.pk]) in page
    assert reverse("licensing:detail", args=[first.pk]) in page
    # The case file, what an auditor reads years later, says the same.
    case_file = client.get(reverse("licensing:case_file", args=[second.pk])).content.decode()
    assert f"Cleared by remembered clearance #{clearance.pk}, made on case {first.reference}" in case_file


def test_clearing_without_remembering_remembers_nothing(entity: Entity, reviewer: Any) -> None:
    hit = Hit.objects.get(party__application=file_request())
    signed_in(reviewer).post(reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "Not them"})
    assert not RememberedClearance.objects.exists()
    assert Hit.objects.get(pk=hit.pk).status == Hit.Status.CLEARED


def test_a_refused_remember_under_denial_is_shown_and_leaves_the_hit_open(compliance_admin: Any, reviewer: Any) -> None:
    make_entity("Bluewave Semiconductor", actor=compliance_admin)  # presumption of denial
    application = file_request()
    hit = Hit.objects.get(party__application=application)
    response = signed_in(reviewer).post(
        reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "Not them", "remember": "on"}, follow=True
    )
    assert "do not allow remembering clearances" in response.content.decode()
    assert Hit.objects.get(pk=hit.pk).status == Hit.Status.OPEN


def test_an_admin_searches_and_revokes_a_clearance_on_the_page(
    entity: Entity, reviewer: Any, compliance_admin: Any
) -> None:
    first = file_request()
    api_as(reviewer).post(
        reverse("api-hit-clear", args=[Hit.objects.get(party__application=first).pk]),
        {"rationale": "Not the fab", "remember": True},
        format="json",
    )
    clearance = RememberedClearance.objects.get()
    second = file_request()
    client = signed_in(compliance_admin)
    found = client.get(reverse("licensing:clearances"), {"q": "bluewave", "state": "in_force"}).content.decode()
    assert NAME in found and "In force" in found
    assert (
        "No remembered clearance matches" in client.get(reverse("licensing:clearances"), {"q": "acme"}).content.decode()
    )
    reference = str(first.reference)
    assert reference in client.get(reverse("licensing:clearances"), {"q": reference}).content.decode()

    detail = client.get(reverse("licensing:clearance", args=[clearance.pk])).content.decode()
    assert "Not the fab" in detail and "Revoke clearance" in detail
    client.post(reverse("licensing:clearance_revoke", args=[clearance.pk]), {"reason": "Same owner as the fab"})
    assert Hit.objects.get(party__application=second).status == Hit.Status.OPEN
    detail = client.get(reverse("licensing:clearance", args=[clearance.pk])).content.decode()
    assert "Revoked: Same owner as the fab" in detail
    assert "Revoke clearance" not in detail
    assert (
        "No remembered clearance"
        not in client.get(reverse("licensing:clearances"), {"state": "revoked"}).content.decode()
    )


def test_the_api_lists_searches_and_revokes(entity: Entity, reviewer: Any, compliance_admin: Any) -> None:
    first = file_request()
    body = (
        api_as(reviewer)
        .post(
            reverse("api-hit-clear", args=[Hit.objects.get(party__application=first).pk]),
            {"rationale": "Not the fab", "remember": True},
            format="json",
        )
        .json()
    )
    assert body["status"] == "cleared"
    second = file_request()
    second_hit = Hit.objects.get(party__application=second)
    client = api_as(compliance_admin)
    listing = client.get(reverse("api-clearances"), {"q": "Bluewave"}).json()
    assert listing["count"] == 1
    row = listing["results"][0]
    assert row["state"] == "in_force"
    assert row["application_reference"] == first.reference
    assert row["cleared_hits"] == [second_hit.pk]
    assert client.get(reverse("api-clearances"), {"state": "revoked"}).json()["count"] == 0

    hit_body = api_as(reviewer).get(reverse("api-application", args=[second.pk])).json()["hits"][0]
    assert hit_body["cleared_by"] == row["id"]
    assert "Cleared by remembered clearance" in hit_body["clearance_note"]

    assert (
        client.post(reverse("api-clearance-revoke", args=[row["id"]]), {"reason": ""}, format="json").status_code == 400
    )
    revoked = client.post(reverse("api-clearance-revoke", args=[row["id"]]), {"reason": "wrong"}, format="json")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    assert revoked.json()["cleared_hits"] == []
    again = client.post(reverse("api-clearance-revoke", args=[row["id"]]), {"reason": "wrong"}, format="json")
    assert again.status_code == 409


def test_the_clearance_settings_are_changed_on_the_settings_page_and_the_api(compliance_admin: Any) -> None:
    client = signed_in(compliance_admin)
    assert ScreeningConfig.load().remember_under_denial is False
    assert ScreeningConfig.load().clearance_review_days == 365
    client.post(
        reverse("compliance:clearance-settings"),
        {"clearance_review_days": "90", "remember_under_denial": "on", "reason": "Quarterly reviews"},
    )
    config = ScreeningConfig.load()
    assert (config.clearance_review_days, config.remember_under_denial) == (90, True)
    assert config.history.first().history_change_reason == "Quarterly reviews"
    assert "Quarterly reviews" in client.get(reverse("compliance:settings")).content.decode()

    api = api_as(compliance_admin)
    response = api.patch(
        reverse("api-screening-config"), {"remember_under_denial": False, "reason": "back to default"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["remember_under_denial"] is False
    assert response.json()["clearance_review_days"] == 90
    assert api.patch(reverse("api-screening-config"), {"reason": "nothing"}, format="json").status_code == 400
    bad = api.patch(reverse("api-screening-config"), {"clearance_review_days": 0, "reason": "x"}, format="json")
    assert bad.status_code == 400
