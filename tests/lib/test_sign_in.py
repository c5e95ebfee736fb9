from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lib.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_roles_exist_after_migrating() -> None:
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_anonymous_users_are_sent_to_log_in() -> None:
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_logs_in_and_out_with_the_pages() -> None:
    make_user(Role.SALES, username="maria", password="a-long-password-1")
    client = Client()
    response = client.post(reverse("login"), {"username": "maria", "password": "a-long-password-1"}, follow=True)
    assert response.status_code == 200
    assert b"maria" in response.content
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message() -> None:
    make_user(Role.SALES, username="maria", password="a-long-password-1")
    response = Client().post(reverse("login"), {"username": "maria", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_the_navigation_shows_only_what_the_role_may_do() -> None:
    client = Client()
    client.force_login(make_user(Role.SALES))
    sales_page = client.get(reverse("dashboard")).content.decode()
    client.force_login(make_user(Role.AUDITOR))
    auditor_page = client.get(reverse("dashboard")).content.decode()
    assert "Import list" not in sales_page
    assert "Import list" not in auditor_page


def test_the_api_gives_a_token_for_a_username_and_password() -> None:
    from rest_framework.test import APIClient

    make_user(Role.REVIEWER, username="rita", password="a-long-password-1")
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "rita", "password": "a-long-password-1"})
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40
    bad = client.post("/api/v1/auth/token/", {"username": "rita", "password": "wrong"})
    assert bad.status_code == 400


def test_an_overlong_username_is_a_clear_400_and_records_no_attempt() -> None:
    from axes.models import AccessAttempt
    from rest_framework.test import APIClient

    response = APIClient().post("/api/v1/auth/token/", {"username": "x" * 300, "password": "guess"})
    assert response.status_code == 400
    assert "username" in response.json()
    assert not AccessAttempt.objects.exists()
