from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from lib.roles import Role
from licensing import services
from licensing.models import Hit
from licensing.timeline import build_timeline
from tests.factories import make_entity, make_user
from tests.licensing.factories import application_data, make_application, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed_case(sales: User, reviewer: User) -> Any:
    make_entity("Acme Rocket Works", country="CN", license_policy="case_by_case")
    make_entity("Acme Rocket Labs", country="CN", license_policy="case_by_case")
    application = make_application(applicant=sales, parties=[party("Acme Rocket Works", country="CN")])
    services.update_draft(
        actor=sales,
        application=application,
        data=application_data(parties=[party("Acme Rocket Works", country="CN")], destination="CN"),
    )
    services.submit(actor=sales, application=application)
    services.assign(actor=reviewer, application=application)
    hits = list(Hit.objects.order_by("-score"))
    services.confirm_hit(actor=reviewer, hit=hits[0], rationale="Same firm and street as the listing.")
    for other in hits[1:]:
        services.clear_hit(actor=reviewer, hit=other, rationale="A different lab in another city.")
    services.decide(
        actor=reviewer,
        application=application,
        outcome="approved",
        rationale="Civil end use verified on site.",
        conditions="No re-export without consent.",
    )
    # A confirmed hit: the approval needs a second reviewer's countersignature.
    services.countersign(actor=make_user(Role.REVIEWER, username="second"), application=application, agree=True)
    return application


def test_the_timeline_tells_who_did_what_when_and_why(reviewed_case: Any) -> None:
    events = build_timeline(reviewed_case)
    assert [e.when for e in events] == sorted(e.when for e in events)
    decision = next(e for e in events if e.subject.startswith("Decision"))
    assert decision.actor == "reviewer"
    assert "Civil end use verified on site." in decision.rationale
    assert "No re-export without consent." in decision.rationale
    confirmed = [e for e in events if e.subject.startswith("Hit") and "Same firm" in e.rationale]
    assert len(confirmed) == 1
    assert confirmed[0].actor == "reviewer"
    reasons = [e.reason for e in events]
    assert "Draft created" in reasons
    assert "Submitted" in reasons
    assert "Assigned to reviewer" in reasons
    assert any(e.subject.startswith("Licence CL-") for e in events)
    edited = [e for e in events if e.reason == "Draft edited" and e.changes]
    assert any(c["field"] == "destination_country" and c["new"] == "CN" for e in edited for c in e.changes)


def test_the_case_page_and_the_history_api_show_the_same_record(
    reviewed_case: Any, client_for: Any, api_for: Any, auditor: User
) -> None:
    page = client_for(auditor).get(reverse("licensing:detail", args=[reviewed_case.pk])).content.decode()
    assert "Civil end use verified on site." in page
    assert "Same firm and street as the listing." in page
    history = api_for(auditor).get(f"/api/v1/applications/{reviewed_case.pk}/history/").json()
    assert len(history) == len(build_timeline(reviewed_case))
    decision = next(e for e in history if e["subject"].startswith("Decision"))
    assert decision["actor"] == "reviewer"
    assert decision["when"]
    assert "Civil end use verified on site." in decision["rationale"]
    hit_reviews = [e for e in history if e["subject"].startswith("Hit") and e["rationale"]]
    assert {e["actor"] for e in hit_reviews} == {"reviewer"}
