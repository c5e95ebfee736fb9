"""Holders are reminded before a licence expires, and Sales see what expires soon on their dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from lib.models import Notification
from lib.roles import Role
from licensing import licences
from licensing.models import Licence
from licensing.tasks import remind_expiring_licences
from tests.factories import make_user
from tests.licensing.factories import make_licence

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(db: None) -> User:
    user = make_user(Role.SALES, username="holder")
    user.email = "holder@example.com"
    user.save()
    return user


def _ending_in(licence: Licence, days: int) -> Licence:
    # Validity is set at issue; a licence issued years ago is simulated by moving its end date.
    Licence.objects.filter(pk=licence.pk).update(valid_until=licence.valid_from + timedelta(days=days))
    return Licence.objects.get(pk=licence.pk)


def test_the_holder_is_reminded_once_within_the_configured_days(holder: User, reviewer: User, settings: Any) -> None:
    settings.LICENCE_EXPIRY_REMINDER_DAYS = 60
    soon = _ending_in(make_licence(applicant=holder, reviewer=reviewer), 59)
    _ending_in(make_licence(applicant=holder, reviewer=reviewer), 61)

    assert remind_expiring_licences() == 1
    assert remind_expiring_licences() == 1  # the next day's run writes no second e-mail
    [email] = Notification.objects.filter(key__startswith="licence-expiring")
    assert email.recipients == ["holder@example.com"]
    assert email.subject == f"{soon.number}: expires on {soon.valid_until}"
    assert "EAR99 Bench power supplies: 10.00 ea, value 250.00" in email.body

    settings.LICENCE_EXPIRY_REMINDER_DAYS = 90
    assert len(licences.remind_expiring()) == 2


def test_sales_see_their_licences_expiring_soon_with_the_balance(
    holder: User, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    soon = _ending_in(make_licence(applicant=holder, reviewer=reviewer), 30)
    later = make_licence(applicant=holder, reviewer=reviewer)
    someone_elses = _ending_in(make_licence(applicant=make_user(Role.SALES), reviewer=reviewer), 30)
    page = client_for(holder).get(reverse("dashboard")).content.decode()
    assert "Your licences expiring soon" in page
    assert str(soon.number) in page and "EAR99 10.00 ea" in page
    assert str(later.number) not in page and str(someone_elses.number) not in page
