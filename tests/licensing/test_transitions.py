from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import User

from licensing import services
from licensing.models import Application, Licence
from licensing.status import (
    LICENCE_TRANSITIONS,
    TRANSITIONS,
    Action,
    IllegalTransition,
    LicenceAction,
    LicenceStatus,
    Status,
)
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("status", "action"), list(itertools.product(Status.values, Action.values)))
def test_every_move_follows_the_one_table(status: str, action: str) -> None:
    application = Application(status=status)
    if (status, action) in TRANSITIONS:
        assert application.transition(action) == TRANSITIONS[(status, action)]
    else:
        with pytest.raises(IllegalTransition, match=r"A request that is .* cannot be "):
            application.transition(action)
        assert application.status == status


@pytest.mark.parametrize(("status", "action"), list(itertools.product(LicenceStatus.values, LicenceAction.values)))
def test_licence_moves_follow_their_own_table(status: str, action: str) -> None:
    licence = Licence(status=status)
    if (status, action) in LICENCE_TRANSITIONS:
        assert licence.transition(action) == LICENCE_TRANSITIONS[(status, action)]
    else:
        with pytest.raises(IllegalTransition, match="A licence that is"):
            licence.transition(action)


def _at(status: str, *, sales: User, reviewer: User) -> Application:
    """A request brought to `status` through the services."""
    application = make_application(applicant=sales, submitted=status != Status.DRAFT)
    if status in {Status.IN_REVIEW, Status.ON_HOLD}:
        application = services.assign(actor=reviewer, application=application)
    if status == Status.ON_HOLD:
        application = services.hold(actor=reviewer, application=application, reason="New hit")
    return application


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.ON_HOLD])
def test_the_applicant_withdraws_an_undecided_request(sales: User, reviewer: User, status: str) -> None:
    application = _at(status, sales=sales, reviewer=reviewer)
    assert services.withdraw(actor=sales, application=application, reason="Deal lost").status == Status.WITHDRAWN
    assert application.history.first().history_change_reason == "Withdrawn: Deal lost"


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.IN_REVIEW, Status.ON_HOLD])
@pytest.mark.parametrize(
    ("outcome", "expected"), [("approved", Status.APPROVED), ("denied", Status.DENIED), ("returned", Status.RETURNED)]
)
def test_an_open_request_is_decided_each_way(
    sales: User, reviewer: User, reviewer2: User, status: str, outcome: str, expected: str
) -> None:
    application = _at(status, sales=sales, reviewer=reviewer)
    services.decide(actor=reviewer2, application=application, outcome=outcome, rationale="Reviewed.")
    application.refresh_from_db()
    assert application.status == expected
    assert application.decided_at is not None
    assert Licence.objects.filter(application=application).exists() == (outcome == "approved")


def test_submitting_moves_a_draft_to_submitted_and_stamps_the_list_version(sales: User) -> None:
    application = make_application(applicant=sales, submitted=True)
    assert application.status == Status.SUBMITTED
    assert application.submitted_at is not None
    assert application.last_screened_version is not None


def test_assigning_moves_a_submitted_request_into_review(sales: User, reviewer: User) -> None:
    application = services.assign(actor=reviewer, application=make_application(applicant=sales, submitted=True))
    assert application.status == Status.IN_REVIEW
    assert application.assigned_to == reviewer


def test_hold_and_resume(sales: User, reviewer: User) -> None:
    application = _at(Status.ON_HOLD, sales=sales, reviewer=reviewer)
    assert application.needs_attention
    application = services.resume(actor=reviewer, application=application, reason="Hit reviewed")
    assert application.status == Status.IN_REVIEW
    assert not application.needs_attention


@pytest.mark.parametrize(
    ("status", "attempt", "message"),
    [
        (Status.DRAFT, "decide", "A request that is draft cannot be approved."),
        (Status.DRAFT, "assign", "A request that is draft cannot be assigned."),
        (Status.SUBMITTED, "submit", "A request that is submitted cannot be submitted."),
        (Status.WITHDRAWN, "submit", "A request that is withdrawn cannot be submitted."),
        (Status.WITHDRAWN, "withdraw", "A request that is withdrawn cannot be withdrawn."),
        (Status.WITHDRAWN, "decide", "A request that is withdrawn cannot be approved."),
        (Status.APPROVED, "withdraw", "A request that is approved cannot be withdrawn."),
        (Status.APPROVED, "assign", "A request that is approved cannot be assigned."),
    ],
)
def test_illegal_moves_are_refused_with_a_clear_message_and_change_nothing(
    sales: User, reviewer: User, reviewer2: User, status: str, attempt: str, message: str
) -> None:
    application = make_application(applicant=sales, submitted=status != Status.DRAFT)
    if status == Status.WITHDRAWN:
        services.withdraw(actor=sales, application=application)
    if status == Status.APPROVED:
        services.decide(actor=reviewer2, application=application, outcome="approved", rationale="Fine.")
    application.refresh_from_db()
    rows = application.history.count()
    calls = {
        "decide": lambda: services.decide(actor=reviewer, application=application, outcome="approved", rationale="x"),
        "assign": lambda: services.assign(actor=reviewer, application=application),
        "submit": lambda: services.submit(actor=sales, application=application),
        "withdraw": lambda: services.withdraw(actor=sales, application=application),
    }
    with pytest.raises(IllegalTransition) as caught:
        calls[attempt]()
    assert message in caught.value.message
    application.refresh_from_db()
    assert application.status == status
    assert application.history.count() == rows
