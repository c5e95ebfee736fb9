from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entities.models import Entity
from entities.services import update_entity
from lib.roles import Role
from licensing import services
from licensing.hits import screen_parties
from licensing.models import Hit
from tests.factories import make_entity, make_record, make_user
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db


def test_each_hit_is_stored_with_how_it_was_found(sales: User) -> None:
    entity = make_entity("Acme Rocket Works", country="CN", license_policy="presumption_of_denial")
    application = make_application(
        applicant=sales, submitted=True, destination="CN", parties=[party("Acme Rocket Works", country="CN")]
    )
    hit = Hit.objects.get()
    assert hit.party.application == application
    assert hit.entity == entity
    assert hit.score >= hit.threshold
    assert hit.explanation["matched_name"] == "Acme Rocket Works"
    assert hit.license_policy == "presumption_of_denial"
    assert hit.license_requirement == "For all items subject to the EAR."
    assert hit.list_version == 1
    assert hit.status == Hit.Status.OPEN
    # Screening is the system's doing, not the salesperson's: the hit's history says so.
    assert hit.history.first().history_user.username == "system"  # type: ignore[union-attr]


def test_a_cleared_hit_stays_cleared_when_the_same_party_is_screened_again(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    hit = services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different company, other city.")
    screen_parties(parties=application.parties.all(), actor=None)
    hit.refresh_from_db()
    assert hit.status == Hit.Status.CLEARED
    assert Hit.objects.count() == 1


def test_a_cleared_hit_reopens_when_the_listed_entity_changes(
    sales: User, reviewer: User, compliance_admin: User
) -> None:
    entity = make_entity("Acme Rocket Works", country="CN")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different company.")
    record = make_record("Acme Rocket Works", country="CN", aliases=("Acme Rockets",), key=entity.key)
    update_entity(actor=compliance_admin, entity=Entity.objects.get(pk=entity.pk), record=record, reason="New alias")
    screen_parties(parties=application.parties.all(), actor=None)
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.OPEN
    assert hit.rationale == ""
    assert "Reopened" in hit.history.first().history_change_reason


def test_a_cleared_hit_reopens_when_the_party_changes(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different company.")
    moved = application.parties.get()
    moved.address = "99 Other Road, Shenzhen"
    moved.save()
    screen_parties(parties=application.parties.all(), actor=None)
    assert Hit.objects.get().status == Hit.Status.OPEN


def test_clearing_or_confirming_needs_a_rationale(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    hit = Hit.objects.get()
    for review in (services.clear_hit, services.confirm_hit):
        with pytest.raises(ValidationError, match="Give a rationale"):
            review(actor=reviewer, hit=hit, rationale="  ")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.OPEN


def test_clearing_the_only_hit_updates_the_determination(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    assert (application.determination or {})["required"] is True
    services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different company.")
    application.refresh_from_db()
    determination = application.determination or {}
    assert determination["required"] is False
    assert determination["strictest_policy"] is None


def test_approval_waits_until_every_hit_is_reviewed(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN", license_policy="case_by_case")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    with pytest.raises(ValidationError, match="still open"):
        services.decide(actor=reviewer, application=application, outcome="approved", rationale="Fine.")
    services.confirm_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Same firm.")
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="Case by case: civil.")
    application.refresh_from_db()
    assert application.status == "countersign"  # a confirmed hit: a second reviewer signs too
    services.countersign(actor=make_user(Role.REVIEWER), application=application, agree=True)
    application.refresh_from_db()
    assert application.status == "approved"


def test_approval_issues_a_numbered_licence_valid_for_the_configured_years(
    sales: User, reviewer: User, settings: Any
) -> None:
    settings.LICENCE_VALIDITY_YEARS = 2
    application = make_application(applicant=sales, submitted=True)
    services.decide(
        actor=reviewer, application=application, outcome="approved", rationale="Fine.", conditions="No resale."
    )
    licence = application.licence
    assert licence.number == f"CL-{timezone.localdate().year}-{licence.pk:06d}"
    assert licence.valid_until.year == licence.valid_from.year + 2
    assert licence.conditions == "No resale."
    assert licence.status == "active"


def test_conditions_go_with_approvals_only(sales: User, reviewer: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    with pytest.raises(ValidationError, match="Conditions go with an approval only"):
        services.decide(actor=reviewer, application=application, outcome="denied", rationale="No.", conditions="x")


def test_the_applicant_is_emailed_the_decision_after_it_commits(
    sales: User, reviewer: User, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    application = make_application(applicant=sales, submitted=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.decide(actor=reviewer, application=application, outcome="denied", rationale="Military end use.")
    assert mailoutbox[0].to == [sales.email]
    assert "denied" in mailoutbox[0].subject.lower()
    assert "Military end use." in mailoutbox[0].body


def _queue(client: Client, **params: str) -> str:
    return client.get(reverse("licensing:queue"), params).content.decode()


def test_the_queue_filters_by_status_hits_destination_value_and_age(client_for: Any, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    listed = make_application(submitted=True, destination="CN", parties=[party("Acme Rocket Works", country="CN")])
    clean = make_application(submitted=True)
    draft = make_application()
    old = make_application(submitted=True, items=None)
    type(old).objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=30))
    client = client_for(reviewer)
    default = _queue(client)
    assert str(listed.reference) in default and str(clean.reference) in default
    assert str(draft.reference) not in default
    assert str(listed.reference) in _queue(client, hits="open")
    assert str(clean.reference) not in _queue(client, hits="open")
    assert str(clean.reference) not in _queue(client, destination="CN")
    assert str(listed.reference) not in _queue(client, min_value="1000")
    aged = _queue(client, min_age_days="7")
    assert str(old.reference) in aged and str(clean.reference) not in aged
    assert str(draft.reference) in _queue(client, status="draft")


def test_the_api_list_filters_and_sorts_like_the_queue(api_for: Any, reviewer: User) -> None:
    cheap = make_application(submitted=True, items=None)
    dear = make_application(submitted=True, destination="DE", parties=[party(country="DE")])
    body = api_for(reviewer).get("/api/v1/applications/", {"ordering": "-submitted_at", "status": "submitted"}).json()
    assert [row["id"] for row in body["results"]] == [dear.pk, cheap.pk]
    only_de = api_for(reviewer).get("/api/v1/applications/", {"destination": "de"}).json()
    assert [row["id"] for row in only_de["results"]] == [dear.pk]


def test_out_of_range_queue_filters_are_refused_clearly(api_for: Any, client_for: Any, reviewer: User) -> None:
    response = api_for(reviewer).get("/api/v1/applications/", {"min_age_days": "1e300", "min_value": "1e40"})
    assert response.status_code == 400
    assert "less than or equal to 36500" in response.json()["min_age_days"][0]
    page = client_for(reviewer).get(reverse("licensing:queue"), {"min_age_days": "99999"})
    assert page.status_code == 200
    assert "less than or equal to 36500" in page.content.decode()
