"""Officers release, suspend, reinstate and revoke issued licences, each with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen import chunks
from entities.services import create_entity
from lib.models import Notification
from lib.roles import Role
from licensing import licences, services
from licensing.licences import HitsNotReviewed
from licensing.models import Hit, Licence
from licensing.status import IllegalTransition, LicenceStatus
from licensing.timeline import build_timeline
from tests.factories import make_record, make_user
from tests.licensing.factories import make_licence, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(db: None) -> User:
    user = make_user(Role.SALES, username="holder")
    user.email = "holder@example.com"
    user.save()
    return user


@pytest.fixture
def licence(holder: User, reviewer: User) -> Licence:
    return make_licence(
        applicant=holder,
        reviewer=reviewer,
        destination="CN",
        parties=[party("Harbin Polar Optics Institute", country="CN")],
    )


def _held(licence: Licence, admin: User) -> Licence:
    """List the licence's end user, as a Federal Register notice would, and run the re-screen."""
    create_entity(actor=admin, record=make_record("Harbin Polar Optics Institute", country="CN"), reason="84 FR 22961")
    job = RescreenJob.objects.order_by("-pk").first()
    assert job is not None
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ON_HOLD
    return licence


def _emails_to(address: str) -> list[Notification]:
    return [n for n in Notification.objects.order_by("pk") if address in n.recipients]


def test_a_held_licence_is_released_only_once_the_hits_that_held_it_are_reviewed(
    licence: Licence, reviewer: User, compliance_admin: User, holder: User
) -> None:
    licence = _held(licence, compliance_admin)
    with pytest.raises(HitsNotReviewed, match="1 screening hit\\(s\\) still open"):
        licences.release(actor=reviewer, licence=licence, reason="Looked at it")
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ON_HOLD

    hit = Hit.objects.get(party__application=licence.application)
    services.clear_hit(actor=reviewer, hit=hit, rationale="Different institute: Harbin, not Harbin Polar Optics.")
    licences.release(actor=reviewer, licence=licence, reason="Hit cleared as a false positive.")

    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ACTIVE
    assert licence.status_reason == "Hit cleared as a false positive."
    latest = licence.history.latest()
    assert latest.history_user == reviewer
    assert latest.history_change_reason == "Released: Hit cleared as a false positive."
    licence.application.refresh_from_db()
    assert not licence.application.needs_attention
    [email] = [n for n in _emails_to(holder.email) if n.key.startswith("licence-release")]
    assert "released" in email.subject and "Hit cleared as a false positive." in email.body


def test_suspend_then_reinstate_then_revoke_each_record_who_and_why_on_the_timeline(
    licence: Licence, compliance_admin: User, reviewer: User, holder: User
) -> None:
    licences.suspend(actor=compliance_admin, licence=licence, reason="Review policy under reconsideration.")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.SUSPENDED
    licences.reinstate(actor=reviewer, licence=licence, reason="Policy unchanged after consultation.")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE
    licences.revoke(actor=compliance_admin, licence=licence, reason="Entity moved to presumption of denial.")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED

    events = [e for e in build_timeline(licence.application) if e.subject == f"Licence {licence.number}"]
    assert [(e.actor, e.reason.split(":")[0], e.rationale) for e in events[-3:]] == [
        ("admin", "Suspended", "Review policy under reconsideration."),
        ("reviewer", "Reinstated", "Policy unchanged after consultation."),
        ("admin", "Revoked", "Entity moved to presumption of denial."),
    ]
    subjects = [n.subject for n in _emails_to(holder.email) if n.key.startswith("licence-")]
    assert subjects == [
        f"{licence.number}: licence suspended",
        f"{licence.number}: licence reinstated",
        f"{licence.number}: licence revoked",
    ]


def test_revocation_is_final(licence: Licence, compliance_admin: User) -> None:
    licences.revoke(actor=compliance_admin, licence=licence, reason="Listed.")
    for action in ("release", "reinstate", "suspend", "revoke"):
        with pytest.raises(IllegalTransition, match="A licence that is revoked cannot be"):
            licences.act(actor=compliance_admin, licence=licence, action=action, reason="Try again")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED


def test_every_action_needs_a_reason_and_a_refusal_writes_nothing(licence: Licence, compliance_admin: User) -> None:
    rows = licence.history.count()
    with pytest.raises(ValidationError, match="Give a reason"):
        licences.suspend(actor=compliance_admin, licence=licence, reason="   ")
    assert licence.history.count() == rows
    assert not Notification.objects.filter(key__startswith="licence-").exists()


def test_only_officers_act_and_never_on_a_licence_of_their_own_request(
    licence: Licence, holder: User, auditor: User
) -> None:
    for user in (holder, auditor):
        with pytest.raises(PermissionDenied):
            licences.suspend(actor=user, licence=licence, reason="No")
    own_reviewer = make_user(Role.REVIEWER, username="both")
    own_reviewer.groups.add(*make_user(Role.SALES).groups.all())
    own = make_licence(applicant=own_reviewer, reviewer=make_user(Role.REVIEWER))
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        licences.suspend(actor=own_reviewer, licence=own, reason="Mine")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ACTIVE


def test_the_licence_page_shows_the_actions_the_status_allows_and_performs_them(
    licence: Licence, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(compliance_admin)
    page = client.get(reverse("licensing:licence", args=[licence.pk])).content.decode()
    assert ">Suspend</button>" in page and ">Revoke</button>" in page and ">Release</button>" not in page

    url = reverse("licensing:licence_action", args=[licence.pk, "suspend"])
    response = client.post(url, {"reason": "Awaiting end-user statement."}, follow=True)
    page = response.content.decode()
    assert "Suspended: Awaiting end-user statement." in page
    assert ">Reinstate</button>" in page and ">Suspend</button>" not in page

    response = client.post(reverse("licensing:licence_action", args=[licence.pk, "reinstate"]), {}, follow=True)
    assert "Give a reason" in response.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.SUSPENDED


def test_the_api_acts_on_a_licence_and_maps_refusals(
    licence: Licence, reviewer: User, compliance_admin: User, holder: User
) -> None:
    api = APIClient()
    api.force_authenticate(reviewer)
    response = api.post(reverse("api-licence-suspend", args=[licence.pk]), {"reason": "Checking"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "suspended"
    assert response.json()["status_reason"] == "Checking"

    response = api.post(reverse("api-licence-release", args=[licence.pk]), {"reason": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "A licence that is suspended cannot be released."

    response = api.post(reverse("api-licence-revoke", args=[licence.pk]), {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()

    api.force_authenticate(holder)
    response = api.post(reverse("api-licence-reinstate", args=[licence.pk]), {"reason": "mine"}, format="json")
    assert response.status_code == 403
    assert api.get(reverse("api-licence", args=[licence.pk])).json()["status"] == "suspended"


def test_releasing_over_open_hits_is_a_conflict_in_the_api(
    licence: Licence, reviewer: User, compliance_admin: User, settings: Any
) -> None:
    licence = _held(licence, compliance_admin)
    api = APIClient()
    api.force_authenticate(reviewer)
    response = api.post(reverse("api-licence-release", args=[licence.pk]), {"reason": "fine"}, format="json")
    assert response.status_code == 409
    assert "still open" in response.json()["detail"]
