"""Second sign-off: risky approvals wait for a second reviewer before the licence issues."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lib.models import Notification
from lib.roles import Role
from licensing import services
from licensing.models import Application, Decision, Hit, Licence, SignOff, SignOffPolicy
from licensing.services import AlreadyCountersigned
from licensing.status import IllegalTransition, Status
from tests.factories import make_entity, make_user
from tests.licensing.factories import assessment_for, item, make_application, party

pytestmark = pytest.mark.django_db


def _denial_case(sales: User, reviewer: User) -> Application:
    make_entity("Huawei Technologies Co., Ltd.", country="CN", license_policy="presumption_of_denial")
    application = make_application(
        applicant=sales,
        submitted=True,
        destination="CN",
        parties=[party("Huawei Technologies Co., Ltd.", country="CN")],
        items=[item("EAR99", description="Bench power supplies"), item("5A992", description="Mass-market routers")],
    )
    services.confirm_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Same company, same address.")
    return application


def _propose(application: Application, reviewer: User) -> SignOff:
    result = services.decide(
        actor=reviewer,
        application=application,
        outcome="approved",
        rationale="General merchandise only.",
        assessment=assessment_for(application),
    )
    assert isinstance(result, SignOff)
    return result


def test_overriding_a_denial_policy_needs_the_assessment_per_item(sales: User, reviewer: User) -> None:
    application = _denial_case(sales, reviewer)
    partial = assessment_for(application)
    partial["items"] = partial["items"][:1]
    partial["no_risk_to_national_security"] = False
    with pytest.raises(ValidationError) as caught:
        services.decide(
            actor=reviewer, application=application, outcome="approved", rationale="Fine.", assessment=partial
        )
    message = caught.value.message_dict["assessment"][0]
    assert "Assess item 5A992" in message and "no risk to national security" in message
    assert not SignOff.objects.exists() and not Decision.objects.exists()


def test_an_approval_over_a_denial_policy_waits_for_a_countersignature(
    sales: User, reviewer: User, reviewer2: User
) -> None:
    reviewer2.email = "second@example.com"
    reviewer2.save()
    application = _denial_case(sales, reviewer)
    sign_off = _propose(application, reviewer)
    application.refresh_from_db()
    assert application.status == Status.AWAITING_COUNTERSIGNATURE
    assert not Licence.objects.exists() and not Decision.objects.exists()
    assert sign_off.reasons == ["It overrides a presumption or policy of denial.", "It carries 1 confirmed hit(s)."]
    assert (sign_off.assessment or {})["conclusion"] == "No risk to national security"
    assert "second@example.com" in Notification.objects.get(key=f"countersign-needed:{sign_off.pk}").recipients
    services.countersign(actor=reviewer2, application=application, agree=True)
    decision = Decision.objects.get(application=application)
    assert (decision.decided_by, decision.countersigned_by) == (reviewer, reviewer2)
    assert decision.override_reason == "Consumer handsets only; no national-security concern."
    assert [row["eccn"] for row in (decision.assessment or {})["items"]] == ["EAR99", "5A992"]
    assert Licence.objects.get(application=application).number
    assert Application.objects.get(pk=application.pk).status == Status.APPROVED


def test_the_decider_and_the_applicant_cannot_countersign(sales: User, reviewer: User) -> None:
    application = _denial_case(sales, reviewer)
    _propose(application, reviewer)
    with pytest.raises(PermissionDenied, match="another reviewer must countersign"):
        services.countersign(actor=reviewer, application=application, agree=True)
    seller_reviewer = make_user(Role.REVIEWER, username="seller_reviewer")
    Application.objects.filter(pk=application.pk).update(applicant=seller_reviewer)
    seller_reviewer.groups.add(*sales.groups.all())
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.countersign(actor=seller_reviewer, application=application, agree=True)
    assert not Licence.objects.exists()


def test_disagreement_sends_the_case_back_to_the_decider_who_may_revise(
    sales: User, reviewer: User, reviewer2: User
) -> None:
    application = _denial_case(sales, reviewer)
    _propose(application, reviewer)
    with pytest.raises(ValidationError, match="Say why"):
        services.countersign(actor=reviewer2, application=application, agree=False, reason=" ")
    services.countersign(actor=reviewer2, application=application, agree=False, reason="Item 2 is not mass-market.")
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW and application.assigned_to == reviewer
    assert "Item 2 is not mass-market." in Notification.objects.get(key__startswith="countersign-refused:").body
    assert not Licence.objects.exists()
    with pytest.raises(AlreadyCountersigned, match=f"already sent back by {reviewer2.username}"):
        services.countersign(actor=make_user(Role.REVIEWER), application=application, agree=True)
    services.decide(actor=reviewer, application=application, outcome="denied", rationale="Revised: deny.")
    assert Decision.objects.get(application=application).outcome == "denied"


def test_no_other_decision_while_an_approval_awaits_countersignature(sales: User, reviewer: User) -> None:
    application = _denial_case(sales, reviewer)
    _propose(application, reviewer)
    with pytest.raises(IllegalTransition, match="awaiting countersignature cannot be denied"):
        services.decide(actor=reviewer, application=application, outcome="denied", rationale="Changed my mind.")


def test_the_value_rule_is_data_an_admin_changes_with_history(
    sales: User, reviewer: User, compliance_admin: User
) -> None:
    application = make_application(
        applicant=sales, submitted=True, items=[item(quantity="1000", unit_price="600.00")]
    )  # 600,000
    services.update_sign_off_policy(
        actor=compliance_admin,
        on_denial_override=True,
        on_confirmed_hit=True,
        value_threshold=Decimal("500000"),
        reason="Board decision 2026-11",
    )
    with pytest.raises(PermissionDenied):
        services.update_sign_off_policy(
            actor=reviewer, on_denial_override=False, on_confirmed_hit=False, value_threshold=None, reason="x"
        )
    result = services.decide(actor=reviewer, application=application, outcome="approved", rationale="Clean.")
    assert isinstance(result, SignOff) and "exceeds 500,000.00" in result.reasons[0]
    assert SignOffPolicy.history.first().history_change_reason == "Sign-off rules changed: Board decision 2026-11"


def test_with_the_rules_switched_off_a_confirmed_hit_approval_issues_at_once(
    sales: User, reviewer: User, compliance_admin: User
) -> None:
    services.update_sign_off_policy(
        actor=compliance_admin, on_denial_override=False, on_confirmed_hit=False, value_threshold=None, reason="Test"
    )
    make_entity("Acme Rocket Works", country="CN", license_policy="case_by_case")
    application = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    services.confirm_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Same firm.")
    result = services.decide(actor=reviewer, application=application, outcome="approved", rationale="Civil use.")
    assert isinstance(result, Decision) and Licence.objects.filter(application=application).exists()


@pytest.mark.django_db(transaction=True)
def test_of_two_racing_countersigners_exactly_one_lands_and_the_other_is_told_by_whom() -> None:
    sales = make_user(Role.SALES, username="seller")
    decider = make_user(Role.REVIEWER, username="decider")
    ana, ben = make_user(Role.REVIEWER, username="ana"), make_user(Role.REVIEWER, username="ben")
    application = _denial_case(sales, decider)
    _propose(application, decider)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def countersign(reviewer: User, agree: bool) -> None:
        try:
            barrier.wait(timeout=10)
            services.countersign(actor=reviewer, application=application, agree=agree, reason="Not convinced.")
            outcomes[reviewer.username] = "landed"
        except AlreadyCountersigned as exc:
            outcomes[reviewer.username] = exc.message
        finally:
            connection.close()

    threads = [
        threading.Thread(target=countersign, args=(ana, True)),
        threading.Thread(target=countersign, args=(ben, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    landed = [name for name, outcome in outcomes.items() if outcome == "landed"]
    assert len(landed) == 1, outcomes
    loser = "ben" if landed == ["ana"] else "ana"
    assert f"by {landed[0]} at" in outcomes[loser]
    countersigner = SignOff.objects.get().countersigned_by
    assert countersigner is not None and countersigner.username == landed[0]


def test_pages_and_api_propose_countersign_and_show_the_assessment(
    sales: User,
    reviewer: User,
    reviewer2: User,
    client_for: Callable[[User], Client],
    api_for: Callable[[User], APIClient],
) -> None:
    application = _denial_case(sales, reviewer)
    items = list(application.items.all())
    post: dict[str, str] = {
        "outcome": "approved",
        "rationale": "General merchandise only.",
        "assessment-end_use": "Retail resale.",
        "assessment-no_risk": "on",
        "assessment-grounds": "Commerce guidance: no threat to national security.",
    }
    for it in items:
        post[f"assessment-item-{it.pk}-reasons"] = "AT1"
        post[f"assessment-item-{it.pk}-relevance"] = "Mass-market, consumer use."
    page = client_for(reviewer).get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "National-security assessment" in page
    response = client_for(reviewer).post(reverse("licensing:decide", args=[application.pk]), post)
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Status.AWAITING_COUNTERSIGNATURE
    as_decider = api_for(reviewer).post(
        reverse("api-application-countersign", args=[application.pk]), {"agree": True}, format="json"
    )
    assert as_decider.status_code == 403
    agreed = api_for(reviewer2).post(
        reverse("api-application-countersign", args=[application.pk]), {"agree": True}, format="json"
    )
    assert agreed.status_code == 200 and agreed.json()["decision"]["countersigned_by"] == reviewer2.username
    again = api_for(make_user(Role.REVIEWER)).post(
        reverse("api-application-countersign", args=[application.pk]), {"agree": True}, format="json"
    )
    assert again.status_code == 409 and f"already countersigned by {reviewer2.username}" in again.json()["detail"]
    case_file = client_for(reviewer).get(reverse("licensing:case_file", args=[application.pk])).content.decode()
    assert (
        "National-security assessment" in case_file
        and "Commerce guidance: no threat to national security." in case_file
    )
    assert f"Countersigned by</th><td>{reviewer2.username}" in case_file


def test_the_rules_page_and_api(
    compliance_admin: User, auditor: User, client_for: Callable[[User], Client], api_for: Callable[[User], APIClient]
) -> None:
    assert "(c) total value above" in client_for(auditor).get(reverse("licensing:sign_off_rules")).content.decode()
    response = client_for(compliance_admin).post(
        reverse("licensing:sign_off_rules"),
        {"on_denial_override": "on", "on_confirmed_hit": "on", "value_threshold": "250000", "reason": "Tighter"},
    )
    assert response.status_code == 302
    assert SignOffPolicy.load().value_threshold == Decimal("250000")
    patched = api_for(compliance_admin).patch(
        reverse("api-sign-off-policy"), {"value_threshold": None, "reason": "Off for now"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["value_threshold"] is None
    assert api_for(auditor).patch(reverse("api-sign-off-policy"), {}, format="json").status_code == 403


def test_the_case_page_offers_the_countersignature_to_another_reviewer_only(
    sales: User, reviewer: User, reviewer2: User, client_for: Callable[[User], Client]
) -> None:
    application = _denial_case(sales, reviewer)
    _propose(application, reviewer)
    url = reverse("licensing:detail", args=[application.pk])
    as_decider = client_for(reviewer).get(url).content.decode()
    assert "another reviewer countersigns it" in as_decider and 'name="verdict"' not in as_decider
    as_second = client_for(reviewer2).get(url).content.decode()
    assert 'name="verdict"' in as_second and "overrides a presumption or policy of denial" in as_second
