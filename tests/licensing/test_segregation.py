from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from lib.roles import Role
from licensing import services
from licensing.models import Decision, Hit
from tests.factories import make_entity, make_user
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller_reviewer(db: None) -> User:
    """Someone who both sells and reviews: allowed, but never on their own requests."""
    user = make_user(Role.SALES, username="dual")
    user.groups.add(Group.objects.get_or_create(name=Role.REVIEWER.value)[0])
    return user


def test_a_reviewer_never_decides_a_request_they_filed(seller_reviewer: User) -> None:
    application = make_application(applicant=seller_reviewer, submitted=True)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.decide(actor=seller_reviewer, application=application, outcome="approved", rationale="Mine.")
    assert not Decision.objects.exists()


def test_a_reviewer_never_clears_hits_on_a_request_they_filed(seller_reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    make_application(applicant=seller_reviewer, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    hit = Hit.objects.get()
    for review in (services.clear_hit, services.confirm_hit):
        with pytest.raises(PermissionDenied, match="segregation of duties"):
            review(actor=seller_reviewer, hit=hit, rationale="Looks fine to me.")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.OPEN


def test_a_reviewer_cannot_assign_their_own_request(seller_reviewer: User) -> None:
    application = make_application(applicant=seller_reviewer, submitted=True)
    with pytest.raises(PermissionDenied):
        services.assign(actor=seller_reviewer, application=application)


def test_another_reviewer_may_decide_it(seller_reviewer: User, reviewer: User) -> None:
    application = make_application(applicant=seller_reviewer, submitted=True)
    services.decide(actor=reviewer, application=application, outcome="returned", rationale="Not needed: EAR99.")
    application.refresh_from_db()
    assert application.status == "returned"


def test_segregation_holds_in_the_pages_and_the_api(seller_reviewer: User, client_for: Any, api_for: Any) -> None:
    make_entity("Acme Rocket Works", country="CN")
    application = make_application(
        applicant=seller_reviewer, submitted=True, parties=[party("Acme Rocket Works", country="CN")]
    )
    hit = Hit.objects.get()
    page = client_for(seller_reviewer)
    assert b"you cannot review it" in page.get(reverse("licensing:detail", args=[application.pk])).content
    decision = {"outcome": "denied", "rationale": "Mine."}
    assert page.post(reverse("licensing:decide", args=[application.pk]), decision).status_code == 403
    assert page.post(reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "x"}).status_code == 403
    api = api_for(seller_reviewer)
    assert api.post(f"/api/v1/applications/{application.pk}/decision/", decision, format="json").status_code == 403
    assert api.post(f"/api/v1/hits/{hit.pk}/confirm/", {"rationale": "x"}, format="json").status_code == 403
    application.refresh_from_db()
    hit.refresh_from_db()
    assert application.status == "submitted"
    assert hit.status == Hit.Status.OPEN
