"""Targets in working days, the clock stopped while the applicant is asked, and admins assigning cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lib.roles import Role
from lib.workdays import add_working_days, working_days_between
from licensing import services
from licensing.models import Application
from tests.factories import make_user
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1, frozenset()) == date(2026, 11, 30)
    assert add_working_days(friday, 1, frozenset({date(2026, 11, 30)})) == date(2026, 12, 1)
    assert working_days_between(friday, date(2026, 12, 4), frozenset({date(2026, 12, 1)})) == 4


def test_the_target_is_counted_in_working_days_from_submission(sales: User, settings: Any) -> None:
    settings.REVIEW_TARGET_WORKING_DAYS = 10
    settings.HOLIDAYS = [str(timezone.localdate() + timedelta(days=1))]
    application = make_application(applicant=sales, submitted=True)
    today = timezone.localdate()
    assert application.target_date == add_working_days(today, 10, frozenset({today + timedelta(days=1)}))
    assert application.target_date > add_working_days(today, 10, frozenset())


def test_the_clock_stops_while_a_question_waits_for_the_applicant(sales: User, reviewer: User, settings: Any) -> None:
    settings.HOLIDAYS = []
    application = make_application(applicant=sales, assigned_to=reviewer)
    target = application.target_date
    question = services.ask_question(actor=reviewer, application=application, text="Data sheet?")
    stopped = timezone.now() - timedelta(days=14)
    Application.objects.filter(pk=application.pk).update(clock_stopped_at=stopped)
    services.reply_to_question(actor=sales, question=question, text="Attached.")
    application.refresh_from_db()
    waited = working_days_between(timezone.localdate(stopped), timezone.localdate())
    assert waited == 10
    assert target is not None and application.target_date == add_working_days(target, waited)
    assert application.clock_stopped_at is None


def test_the_queue_shows_due_dates_and_filters_the_overdue(
    sales: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    late = make_application(applicant=sales, submitted=True)
    waiting = make_application(applicant=sales, assigned_to=reviewer)
    on_time = make_application(applicant=sales, submitted=True)
    services.ask_question(actor=reviewer, application=waiting, text="?")
    past = timezone.localdate() - timedelta(days=3)
    Application.objects.filter(pk__in=[late.pk, waiting.pk]).update(target_date=past)
    client = client_for(reviewer)
    page = client.get(reverse("licensing:queue")).content.decode()
    assert f'{past:%Y-%m-%d} <span class="badge danger">overdue</span>' in page
    assert "(clock stopped)" in page
    overdue = client.get(reverse("licensing:queue"), {"due": "overdue"}).content.decode()
    assert str(late.reference) in overdue
    assert str(waiting.reference) not in overdue and str(on_time.reference) not in overdue
    by_due = client.get(reverse("licensing:queue"), {"ordering": "due"}).content.decode()
    assert by_due.index(str(late.reference)) < by_due.index(str(on_time.reference))


def test_an_admin_assigns_and_reassigns_many_cases_at_once(
    sales: User, reviewer: User, reviewer2: User, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    first, second = (make_application(applicant=sales, submitted=True) for _ in range(2))
    response = client_for(compliance_admin).post(
        reverse("licensing:bulk_assign"), {"applications": [first.pk, second.pk], "reviewer": reviewer.pk}
    )
    assert response.status_code == 302
    assert set(Application.objects.values_list("assigned_to", flat=True)) == {reviewer.pk}
    services.assign_cases(actor=compliance_admin, applications=[first], reviewer=reviewer2)
    first.refresh_from_db()
    assert first.assigned_to == reviewer2
    assert (
        first.history.first().history_change_reason
        == f"Reassigned to {reviewer2.username} by {compliance_admin.username}"
    )
    queue = client_for(compliance_admin).get(reverse("licensing:queue"), {"assignee": reviewer2.pk}).content.decode()
    assert str(first.reference) in queue and str(second.reference) not in queue


def test_assigning_refuses_non_admins_non_reviewers_and_the_applicant(
    sales: User, reviewer: User, compliance_admin: User
) -> None:
    application = make_application(applicant=sales, submitted=True)
    with pytest.raises(PermissionDenied):
        services.assign_cases(actor=reviewer, applications=[application], reviewer=reviewer)
    with pytest.raises(ValidationError, match="not an active reviewer"):
        services.assign_cases(actor=compliance_admin, applications=[application], reviewer=sales)
    dual = make_user(Role.REVIEWER, username="dual")
    dual.groups.add(*sales.groups.all())
    own = make_application(applicant=dual, submitted=True)
    with pytest.raises(ValidationError, match="cannot review it"):
        services.assign_cases(actor=compliance_admin, applications=[application, own], reviewer=dual)
    assert not Application.objects.filter(assigned_to=dual).exists()  # all or none


def test_the_api_assigns_cases(
    sales: User, reviewer: User, compliance_admin: User, api_for: Callable[[User], APIClient]
) -> None:
    application = make_application(applicant=sales, submitted=True)
    url = reverse("api-applications-assign")
    body = {"applications": [application.pk], "reviewer": reviewer.username}
    assert api_for(reviewer).post(url, body, format="json").status_code == 403
    response = api_for(compliance_admin).post(url, body, format="json")
    assert response.status_code == 200 and response.json()[0]["assigned_to"] == reviewer.username
    assert response.json()[0]["target_date"] and response.json()[0]["is_overdue"] is False
    missing = api_for(compliance_admin).post(url, {"applications": [999999], "reviewer": "x"}, format="json")
    assert missing.status_code == 404
