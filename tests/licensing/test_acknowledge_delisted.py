"""A listed entity is removed: its open hits wait for a reviewer to acknowledge them before approval."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from entities.models import Entity
from entities.services import create_entity, delist_entity
from licensing import services
from licensing.models import Application, Hit
from licensing.status import IllegalTransition
from tests.compliance.jobs import latest_job, run_job
from tests.factories import make_record
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(compliance_admin: User) -> Entity:
    return create_entity(actor=compliance_admin, record=make_record("Acme Rocket Works", country="CN"), reason="x")


@pytest.fixture
def case(entity: Entity, sales: User, reviewer: User) -> Application:
    return make_application(
        applicant=sales, destination="CN", parties=[party("Acme Rocket Works", country="CN")], assigned_to=reviewer
    )


@pytest.fixture
def delisted(case: Application, entity: Entity, compliance_admin: User) -> Hit:
    """The case's hit, after the entity was removed from the list and the re-screen ran."""
    delist_entity(actor=compliance_admin, entity=entity, reason="Removed by 89 FR 3000")
    job = run_job(latest_job())
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.DELISTED
    assert hit.resolution == f"Entity delisted in list version {job.list_version}"
    return hit


def test_a_reviewer_acknowledges_a_delisted_hit_and_history_says_who_and_why(delisted: Hit, reviewer: User) -> None:
    hit = services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="Delisting checked against 89 FR 3000.")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.ACKNOWLEDGED
    assert (hit.rationale, hit.reviewed_by) == ("Delisting checked against 89 FR 3000.", reviewer)
    assert hit.resolution.startswith("Entity delisted in list version")  # the system's reason stays
    latest = hit.history.latest()
    assert latest.history_user == reviewer
    assert latest.history_change_reason == "Hit acknowledged: Delisting checked against 89 FR 3000."


def test_an_unacknowledged_delisted_hit_holds_up_approval_and_an_acknowledged_one_does_not(
    delisted: Hit, case: Application, reviewer: User
) -> None:
    with pytest.raises(ValidationError, match=r"1 hit\(s\) resolved by a list change .* not yet acknowledged"):
        services.decide(actor=reviewer, application=case, outcome="approved", rationale="EAR99 only.")
    services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="Delisting checked.")
    services.decide(actor=reviewer, application=case, outcome="approved", rationale="EAR99 only.")
    case.refresh_from_db()
    assert case.status == "approved"


def test_a_delisted_hit_can_still_be_denied_without_acknowledgement(
    delisted: Hit, case: Application, reviewer: User
) -> None:
    # Only an approval relies on the hit being gone; denying or returning needs no acknowledgement.
    services.decide(actor=reviewer, application=case, outcome="denied", rationale="End use is military.")
    case.refresh_from_db()
    assert case.status == "denied"


def test_only_hits_a_list_change_resolved_can_be_acknowledged(case: Application, reviewer: User) -> None:
    hit = Hit.objects.get()
    with pytest.raises(IllegalTransition, match="A hit marked “Open” cannot be acknowledged"):
        services.acknowledge_hit(actor=reviewer, hit=hit, rationale="Nothing to see.")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.OPEN


def test_a_delisted_hit_is_acknowledged_not_cleared_or_confirmed(delisted: Hit, reviewer: User) -> None:
    for review in (services.clear_hit, services.confirm_hit):
        with pytest.raises(IllegalTransition, match="A hit marked “Entity delisted” cannot be"):
            review(actor=reviewer, hit=delisted, rationale="Trying.")
    delisted.refresh_from_db()
    assert delisted.status == Hit.Status.DELISTED


def test_acknowledging_needs_a_reason(delisted: Hit, reviewer: User) -> None:
    with pytest.raises(ValidationError, match="Give a rationale"):
        services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="  ")
    delisted.refresh_from_db()
    assert delisted.status == Hit.Status.DELISTED


def test_only_a_reviewer_who_did_not_file_the_request_acknowledges(
    delisted: Hit, sales: User, auditor: User, compliance_admin: User
) -> None:
    for user in (sales, auditor, compliance_admin):
        with pytest.raises(PermissionDenied):
            services.acknowledge_hit(actor=user, hit=delisted, rationale="Seen.")
    delisted.refresh_from_db()
    assert delisted.status == Hit.Status.DELISTED


def test_an_acknowledged_hit_reopens_when_the_entity_is_listed_again(
    delisted: Hit, entity: Entity, reviewer: User, compliance_admin: User
) -> None:
    from entities.services import begin_version, finish_version
    from licensing.hits import screen_parties

    services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="Delisting checked.")
    # Relisted, as a later import would do it: a new list version with the entity active again.
    Entity.objects.filter(pk=entity.pk).update(delisted_on=None)
    finish_version(begin_version(actor=compliance_admin, kind="import", reason="relisted"), [])
    screen_parties(parties=delisted.party.application.parties.all(), actor=None)
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.OPEN
    assert (hit.rationale, hit.resolution, hit.reviewed_by) == ("", "", None)


def test_the_case_page_offers_acknowledgement_to_reviewers_only(
    delisted: Hit, client_for: Callable[[User], Client], sales: User, reviewer: User, auditor: User
) -> None:
    url = reverse("licensing:detail", args=[delisted.party.application_id])
    action = reverse("licensing:hit_acknowledge", args=[delisted.pk])
    page = client_for(reviewer).get(url).content.decode()
    assert action in page and "Entity delisted in list version" in page
    assert reverse("licensing:hit_clear", args=[delisted.pk]) not in page
    for reader in (sales, auditor):
        page = client_for(reader).get(url).content.decode()
        assert "Entity delisted in list version" in page
        assert action not in page

    response = client_for(reviewer).post(action, {"rationale": "Delisting checked."}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}#hit-{delisted.pk}", "back to the card just acknowledged"
    assert "Hit on Acme Rocket Works acknowledged." in response.content.decode()
    delisted.refresh_from_db()
    assert delisted.status == Hit.Status.ACKNOWLEDGED
    assert client_for(auditor).post(action, {"rationale": "x"}).status_code == 403


def test_the_api_acknowledges_a_delisted_hit_and_refuses_an_open_one(
    delisted: Hit, api_for: Callable[[User], APIClient], reviewer: User, sales: User
) -> None:
    url = f"/api/v1/hits/{delisted.pk}/acknowledge/"
    assert api_for(sales).post(url, {"rationale": "Mine."}, format="json").status_code == 403
    assert api_for(reviewer).post(url, {"rationale": ""}, format="json").status_code == 400
    response = api_for(reviewer).post(url, {"rationale": "Delisting checked."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["rationale"]) == ("acknowledged", "Delisting checked.")
    assert body["reviewed_by"] == "reviewer"
    assert body["resolution"].startswith("Entity delisted in list version")
    again = api_for(reviewer).post(url, {"rationale": "Twice."}, format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == "A hit marked “List change acknowledged” cannot be acknowledged."


def test_the_case_file_shows_the_list_change_and_the_acknowledgement(
    delisted: Hit, client_for: Callable[[User], Client], reviewer: User, auditor: User
) -> None:
    url = reverse("licensing:case_file", args=[delisted.party.application_id])
    page = client_for(auditor).get(url).content.decode()
    assert "Entity delisted in list version" in page and "not yet acknowledged" in page
    services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="Delisting checked against 89 FR 3000.")
    page = client_for(auditor).get(url).content.decode()
    assert "List change acknowledged" in page and "by reviewer" in page
    assert "Delisting checked against 89 FR 3000." in page and "not yet acknowledged" not in page


def test_the_timeline_shows_the_acknowledgement_rationale(delisted: Hit, reviewer: User) -> None:
    from licensing.timeline import build_timeline

    services.acknowledge_hit(actor=reviewer, hit=delisted, rationale="Delisting checked.")
    events = build_timeline(Application.objects.get(pk=delisted.party.application_id))
    assert any(e.rationale == "Delisting checked." and e.actor == "reviewer" for e in events)
