"""Who may watch re-screens and who may start one, on the page and in the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compliance import rescreen
from compliance.models import RescreenJob

READERS = ["compliance_admin", "auditor"]
OTHERS = ["sales", "reviewer"]


@pytest.fixture
def job(compliance_admin: User) -> RescreenJob:
    return rescreen.request_full_rescreen(actor=compliance_admin, reason="quarterly audit")


@pytest.mark.parametrize("role", READERS)
def test_admins_and_auditors_see_the_jobs_with_a_progress_bar(
    role: str, request: pytest.FixtureRequest, client_for: Callable[[User], Client], job: RescreenJob
) -> None:
    response = client_for(request.getfixturevalue(role)).get(reverse("compliance:rescreens"))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'aria-label="Progress of job {job.pk}"' in body
    assert "quarterly audit" in body
    assert ("Re-screen everything</button>" in body) == (role == "compliance_admin")


@pytest.mark.parametrize("role", OTHERS)
def test_sales_and_reviewers_may_not_see_the_jobs(
    role: str, request: pytest.FixtureRequest, client_for: Callable[[User], Client], job: RescreenJob
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.get(reverse("compliance:rescreens")).status_code == 403
    assert client.get(reverse("compliance:rescreens-status"), {"ids": str(job.pk)}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get(reverse("compliance:rescreens"))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert Client().get(reverse("compliance:rescreens-status")).status_code == 302


def test_an_admin_starts_a_full_rescreen_with_a_reason(
    compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(compliance_admin).post(reverse("compliance:rescreens"), {"reason": "new matcher rules"})
    assert response.status_code == 302
    job = RescreenJob.objects.get()
    assert (job.kind, job.requested_by, job.reason) == (RescreenJob.Kind.FULL, compliance_admin, "new matcher rules")


def test_a_full_rescreen_without_a_reason_is_refused_and_nothing_is_queued(
    compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(compliance_admin).post(reverse("compliance:rescreens"), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not RescreenJob.objects.exists()


def test_an_auditor_cannot_start_a_rescreen(auditor: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(auditor).post(reverse("compliance:rescreens"), {"reason": "curious"})
    assert response.status_code == 403
    assert not RescreenJob.objects.exists()


def test_the_status_endpoint_reports_progress_and_refuses_bad_ids(
    auditor: User, client_for: Callable[[User], Client], job: RescreenJob
) -> None:
    client = client_for(auditor)
    body = client.get(reverse("compliance:rescreens-status"), {"ids": f"{job.pk},999999"}).json()
    assert [(j["id"], j["status"], j["percent"]) for j in body["jobs"]] == [(job.pk, "pending", 0)]
    assert client.get(reverse("compliance:rescreens-status"), {"ids": "1,x"}).status_code == 400


@pytest.mark.parametrize("role", READERS)
def test_the_api_lists_jobs_with_progress_for_admins_and_auditors(
    role: str, request: pytest.FixtureRequest, api_for: Callable[[User], APIClient], job: RescreenJob
) -> None:
    response = api_for(request.getfixturevalue(role)).get("/api/v1/rescreens/")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert (row["id"], row["kind"], row["done_chunks"], row["total_chunks"], row["hits_found"]) == (
        job.pk,
        "full",
        0,
        0,
        0,
    )
    detail = api_for(request.getfixturevalue(role)).get(f"/api/v1/rescreens/{job.pk}/")
    assert detail.status_code == 200 and detail.json()["reason"] == "quarterly audit"


@pytest.mark.parametrize("role", OTHERS)
def test_the_api_refuses_sales_and_reviewers(
    role: str, request: pytest.FixtureRequest, api_for: Callable[[User], APIClient], job: RescreenJob
) -> None:
    client = api_for(request.getfixturevalue(role))
    assert client.get("/api/v1/rescreens/").status_code == 403
    assert client.get(f"/api/v1/rescreens/{job.pk}/").status_code == 403
    assert client.post("/api/v1/rescreens/", {"reason": "x"}).status_code == 403
    assert RescreenJob.objects.count() == 1


def test_the_api_refuses_anonymous_callers(db: None) -> None:
    assert APIClient().get("/api/v1/rescreens/").status_code == 401


@pytest.mark.parametrize(("role", "expected"), [("compliance_admin", 202), ("auditor", 403)])
def test_only_admins_start_a_rescreen_through_the_api(
    role: str, expected: int, request: pytest.FixtureRequest, api_for: Callable[[User], APIClient]
) -> None:
    response = api_for(request.getfixturevalue(role)).post("/api/v1/rescreens/", {"reason": "new rules"})
    assert response.status_code == expected
    assert RescreenJob.objects.count() == (1 if expected == 202 else 0)


def test_the_api_refuses_a_blank_reason(compliance_admin: User, api_for: Callable[[User], APIClient]) -> None:
    response = api_for(compliance_admin).post("/api/v1/rescreens/", {"reason": "  "})
    assert response.status_code == 400
    assert not RescreenJob.objects.exists()


def test_an_unknown_job_is_404(compliance_admin: User, api_for: Callable[[User], APIClient]) -> None:
    assert api_for(compliance_admin).get("/api/v1/rescreens/424242/").status_code == 404


def test_the_case_snippet_shows_the_version_and_an_out_of_date_badge(settings: Any) -> None:
    from django.template.loader import render_to_string

    stale = render_to_string(
        "licensing/_screened_against.html",
        {"screening": {"last_screened_version": 3, "current_version": 5, "out_of_date": True}},
    )
    assert "Screened against list version 3" in stale and "(current: 5)" in stale and "out of date" in stale
    fresh = render_to_string(
        "licensing/_screened_against.html",
        {"screening": {"last_screened_version": 5, "current_version": 5, "out_of_date": False}},
    )
    assert "out of date" not in fresh
