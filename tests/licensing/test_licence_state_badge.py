"""A request whose licence is not in force does not show a green "Approved": wherever a request's
status is shown (its page, Sales' list, the queue), its licence's state is shown with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from licensing.models import Application, Licence
from licensing.status import LicenceStatus
from tests.lib.cases import decide_request, file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(sales: User, reviewer: User) -> Application:
    application = file_request(sales)
    decide_request(reviewer, application)
    return application


@pytest.mark.parametrize("status", [LicenceStatus.ON_HOLD, LicenceStatus.REVOKED])
def test_every_status_badge_of_an_approved_request_shows_a_licence_not_in_force(
    approved: Application,
    status: LicenceStatus,
    sales: User,
    reviewer: User,
    client_for: Callable[[User], Client],
) -> None:
    Licence.objects.filter(application=approved).update(status=status)
    label = f"Approved · licence {status.label.lower()}"
    pages = [
        (sales, reverse("licensing:mine")),
        (sales, reverse("licensing:detail", args=[approved.pk])),
        (reviewer, reverse("licensing:queue") + "?status=approved"),
    ]
    for user, url in pages:
        page = client_for(user).get(url).content.decode()
        assert label in page, url
        assert '<span class="badge ok">Approved</span>' not in page, url


def test_an_approved_request_with_its_licence_in_force_shows_approved(
    approved: Application, sales: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(sales).get(reverse("licensing:mine")).content.decode()
    assert '<span class="badge ok">Approved</span>' in page
    assert "· licence" not in page
