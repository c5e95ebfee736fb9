"""A confirmed hit is never quietly reversed (issue 18, finding 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from licensing import services
from licensing.models import Application, Decision, Hit
from licensing.status import IllegalTransition
from tests.factories import make_entity
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db


def _confirmed(sales: User, reviewer: User, policy: str = "presumption_of_denial") -> Application:
    make_entity("Acme Rocket Works", country="CN", license_policy=policy)
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.confirm_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Same firm, same address.")
    return application


def test_the_reviewer_who_confirmed_cannot_clear_or_reverse_it(sales: User, reviewer: User) -> None:
    _confirmed(sales, reviewer)
    hit = Hit.objects.get()
    with pytest.raises(IllegalTransition, match="its own action"):
        services.clear_hit(actor=reviewer, hit=hit, rationale="Actually fine.")
    with pytest.raises(PermissionDenied, match="another reviewer"):
        services.reverse_hit_confirmation(actor=reviewer, hit=hit, rationale="Actually fine.")
    assert Hit.objects.get().status == Hit.Status.CONFIRMED


def test_another_reviewer_reverses_it_with_a_rationale(sales: User, reviewer: User, reviewer2: User) -> None:
    _confirmed(sales, reviewer)
    hit = Hit.objects.get()
    with pytest.raises(ValidationError, match="Give a rationale"):
        services.reverse_hit_confirmation(actor=reviewer2, hit=hit, rationale=" ")
    services.reverse_hit_confirmation(actor=reviewer2, hit=hit, rationale="Different registration number.")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.CLEARED and hit.reviewed_by == reviewer2
    assert hit.history.first().history_change_reason.startswith("Hit reversed")


def test_only_a_confirmed_hit_can_be_reversed(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN")
    make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    with pytest.raises(IllegalTransition, match="cannot be reversed"):
        services.reverse_hit_confirmation(actor=reviewer, hit=Hit.objects.get(), rationale="Nothing to reverse.")


def test_a_reversed_denial_policy_hit_still_needs_the_override_reason(
    sales: User, reviewer: User, reviewer2: User
) -> None:
    application = _confirmed(sales, reviewer)
    services.reverse_hit_confirmation(actor=reviewer2, hit=Hit.objects.get(), rationale="Different firm.")
    with pytest.raises(ValidationError) as caught:
        services.decide(actor=reviewer2, application=application, outcome="approved", rationale="Clean now.")
    assert "even if since reversed" in caught.value.message_dict["override_reason"][0]
    assert not Decision.objects.exists()


def test_reversing_through_the_api(
    sales: User, reviewer: User, reviewer2: User, api_for: Callable[[User], APIClient]
) -> None:
    _confirmed(sales, reviewer)
    url = reverse("api-hit-reverse", args=[Hit.objects.get().pk])
    assert api_for(reviewer).post(url, {"rationale": "Mine."}, format="json").status_code == 403
    response = api_for(reviewer2).post(url, {"rationale": "Other firm."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cleared"
    cleared_again = api_for(reviewer2).post(
        reverse("api-hit-clear", args=[Hit.objects.get().pk]), {"rationale": "x"}, format="json"
    )
    assert cleared_again.status_code == 200
