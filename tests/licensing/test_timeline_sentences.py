"""The timeline speaks in sentences and keeps the reviewers' bookkeeping from the applicant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from licensing import services
from licensing.timeline import build_timeline
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


def test_changes_read_as_labels_and_names_not_field_dumps(sales: User, reviewer: User) -> None:
    application = make_application(applicant=sales, assigned_to=reviewer)
    services.hold(actor=reviewer, application=application, reason="Checking the consignee")
    changes = [c for e in build_timeline(application, internal=True) for c in e.changes]
    status = [c for c in changes if c["field"] == "status"]
    assert {"label": "status", "old": "In review", "new": "On hold"}.items() <= status[-1].items()
    assigned = next(c for c in changes if c["field"] == "assigned_to")
    assert assigned["new"] == reviewer.username
    assert not any(c["field"] in {"last_screened_version", "party_fingerprint", "entity_hash"} for c in changes)


def test_the_applicant_does_not_see_the_reviewers_bookkeeping(
    sales: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    application = make_application(applicant=sales, assigned_to=reviewer)
    services.hold(actor=reviewer, application=application, reason="Checking the consignee")
    shown = [c["field"] for e in build_timeline(application) for c in e.changes]
    assert "needs_attention" not in shown and "assigned_to" not in shown and "attention_reason" not in shown
    internal = [c["field"] for e in build_timeline(application, internal=True) for c in e.changes]
    assert "needs_attention" in internal
    page = client_for(sales).get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "Needs attention: “" not in page and "Status: “In review” → “On hold”" in page


def test_a_new_screening_stamp_reads_as_a_sentence(sales: User) -> None:
    from lib.history import attribute
    from lib.users import system_user

    application = make_application(applicant=sales, submitted=True)
    application.last_screened_version = (application.last_screened_version or 0) + 12
    attribute(application, system_user(), "Re-screen 7")
    application.save()
    last = [e for e in build_timeline(application) if e.subject.startswith("Request")][-1]
    assert last.reason == f"Re-screen 7. Screened again against list version {application.last_screened_version}"
    assert not last.changes
