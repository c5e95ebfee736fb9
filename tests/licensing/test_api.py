from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from licensing.models import Application
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]

PAYLOAD = {
    "type": "export",
    "destination_country": "CA",
    "end_use": "Calibration of lab instruments.",
    "parties": [
        {"role": "purchaser", "name": "Maple Leaf Instruments Ltd", "address": "1 Main St, Ottawa", "country": "CA"},
        {"role": "end_user", "name": "Maple Leaf Instruments Ltd", "address": "1 Main St, Ottawa", "country": "CA"},
    ],
    "items": [
        {"eccn": "EAR99", "description": "Bench multimeters", "quantity": "5", "unit": "ea", "unit_price": "120.00"}
    ],
}


def test_a_request_goes_from_draft_to_licence_through_the_api(
    api_for: ApiFor, sales: User, reviewer: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    seller = api_for(sales)
    created = seller.post("/api/v1/applications/", PAYLOAD, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["reference"].startswith("LR-")
    assert body["status"] == "draft"
    assert body["total_value"] == "600.00"
    assert len(body["parties"]) == 2
    pk = body["id"]

    patched = seller.patch(f"/api/v1/applications/{pk}/", {"additional_info": "Urgent"}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["additional_info"] == "Urgent"
    assert len(patched.json()["parties"]) == 2

    submitted = seller.post(f"/api/v1/applications/{pk}/submit/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["hits"] == []
    assert submitted.json()["determination"]["required"] is False

    checker = api_for(reviewer)
    assert checker.post(f"/api/v1/applications/{pk}/assign/").json()["status"] == "in_review"
    with django_capture_on_commit_callbacks(execute=True):
        decided = checker.post(
            f"/api/v1/applications/{pk}/decision/",
            {
                "outcome": "approved",
                "rationale": "General merchandise to a known customer.",
                "conditions": "No resale.",
            },
            format="json",
        )
    assert decided.status_code == 201, decided.content
    result = decided.json()
    assert result["status"] == "approved"
    assert result["licence"]["number"].startswith("CL-")
    assert result["licence"]["conditions"] == "No resale."
    assert result["decision"]["decided_by"] == "reviewer"

    history = checker.get(f"/api/v1/applications/{pk}/history/").json()
    decision_events = [e for e in history if e["subject"].startswith("Decision")]
    assert decision_events[0]["actor"] == "reviewer"
    assert "General merchandise" in decision_events[0]["rationale"]
    assert len(mailoutbox) == 1
    assert "No resale." in mailoutbox[0].body


def test_bad_api_input_gets_field_messages_and_creates_nothing(api_for: ApiFor, sales: User) -> None:
    bad = {**PAYLOAD, "items": [{**PAYLOAD["items"][0], "eccn": "ABC", "quantity": "-1"}]}  # type: ignore[dict-item]
    response = api_for(sales).post("/api/v1/applications/", bad, format="json")
    assert response.status_code == 400
    errors = response.json()["items"]["0"]
    assert "ECCN" in errors["eccn"][0]
    assert "greater than zero" in errors["quantity"][0]
    assert not Application.objects.exists()


def test_an_illegal_move_in_the_api_is_a_conflict_with_the_message(api_for: ApiFor, sales: User) -> None:
    seller = api_for(sales)
    pk = seller.post("/api/v1/applications/", PAYLOAD, format="json").json()["id"]
    seller.post(f"/api/v1/applications/{pk}/withdraw/")
    response = seller.post(f"/api/v1/applications/{pk}/submit/")
    assert response.status_code == 409
    assert response.json()["detail"] == "A request that is withdrawn cannot be submitted."


def test_hits_are_cleared_through_the_api_with_a_rationale(api_for: ApiFor, sales: User, reviewer: User) -> None:
    make_entity("Maple Leaf Instruments Ltd", country="CA")
    seller = api_for(sales)
    pk = seller.post("/api/v1/applications/", PAYLOAD, format="json").json()["id"]
    hits = seller.post(f"/api/v1/applications/{pk}/submit/").json()["hits"]
    assert len(hits) == 2
    checker = api_for(reviewer)
    refused = checker.post(f"/api/v1/hits/{hits[0]['id']}/clear/", {"rationale": ""}, format="json")
    assert refused.status_code == 400
    assert "rationale" in refused.json()
    cleared = checker.post(f"/api/v1/hits/{hits[0]['id']}/clear/", {"rationale": "Different firm."}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["status"] == "cleared"
    assert cleared.json()["reviewed_by"] == "reviewer"
