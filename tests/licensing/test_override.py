from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from licensing import services
from licensing.models import Application, Decision, Hit
from tests.factories import make_entity
from tests.licensing.factories import assessment_for, make_application, party

pytestmark = pytest.mark.django_db


def _confirmed(sales: User, reviewer: User, policy: str) -> Application:
    make_entity("Acme Rocket Works", country="CN", license_policy=policy)
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.confirm_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Same firm, same address.")
    return application


@pytest.mark.parametrize("policy", ["presumption_of_denial", "policy_of_denial"])
def test_approving_over_a_confirmed_denial_policy_hit_needs_an_override_reason(
    sales: User, reviewer: User, reviewer2: User, policy: str
) -> None:
    application = _confirmed(sales, reviewer, policy)
    with pytest.raises(ValidationError) as caught:
        services.decide(actor=reviewer, application=application, outcome="approved", rationale="Civil use.")
    assert "override reason" in caught.value.message_dict["override_reason"][0]
    assert "national-security assessment" in caught.value.message_dict["assessment"][0]
    assert not Decision.objects.exists()
    services.decide(
        actor=reviewer,
        application=application,
        outcome="approved",
        rationale="Civil use.",
        override_reason="Consumer handsets only; no national-security concern (Commerce guidance).",
        assessment=assessment_for(application),
    )
    services.countersign(actor=reviewer2, application=application, agree=True)
    decision = Decision.objects.get(application=application)
    assert decision.override_reason.startswith("Consumer handsets")
    assert decision.decided_by == reviewer and decision.countersigned_by == reviewer2
    assert application.history.first().history_user == reviewer2


def test_case_by_case_hits_need_no_override(sales: User, reviewer: User) -> None:
    application = _confirmed(sales, reviewer, "case_by_case")
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="Civil use.")


def test_denying_needs_no_override_and_refuses_one(sales: User, reviewer: User) -> None:
    application = _confirmed(sales, reviewer, "presumption_of_denial")
    with pytest.raises(ValidationError, match="approval only"):
        services.decide(actor=reviewer, application=application, outcome="denied", rationale="No.", override_reason="x")
    services.decide(actor=reviewer, application=application, outcome="denied", rationale="Presumption of denial.")


def test_a_cleared_denial_policy_hit_needs_no_override(sales: User, reviewer: User) -> None:
    make_entity("Acme Rocket Works", country="CN", license_policy="policy_of_denial")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different firm in another province.")
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="Clean after review.")
