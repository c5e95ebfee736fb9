"""The case page's timeline says what happened in words: labels, people by name, times to the
minute, the request by its reference; never raw field names, ids or microseconds."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from licensing import services
from licensing.timeline import build_timeline
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


def test_the_timeline_names_people_and_values_in_words(
    sales: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    application = make_application(applicant=sales, submitted=True)
    services.assign(actor=reviewer, application=application)
    services.flag_cases(actor=reviewer, reasons={application.pk: "New screening hit on list version 2"}, hold=False)

    # The reviewers' timeline: who a case is assigned to is not shown to the applicant.
    changes = [c for e in build_timeline(application, internal=True) for c in e.changes]
    assigned = next(c for c in changes if c["field"] == "assigned_to")
    assert (assigned["label"].capitalize(), assigned["old"], assigned["new"]) == ("Assigned to", "—", reviewer.username)
    attention = next(c for c in changes if c["field"] == "needs_attention")
    assert (attention["old"], attention["new"]) == ("no", "yes")

    page = client_for(reviewer).get(reverse("licensing:detail", args=[application.pk])).content.decode()
    timeline = page[page.index('id="timeline-heading"') :]
    assert f"Assigned to: “—” → “{reviewer.username}”" in timeline
    assert "needs_attention" not in timeline and "assigned_to" not in timeline
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", timeline), "no microseconds"
    assert f"Request {application.reference} created" in timeline, "the draft's rows carry today's reference"
    assert "Request None" not in timeline and f"Request {application.pk} " not in timeline
