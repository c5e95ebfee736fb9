"""Hostile input (issue 18, finding 4): an API token does not outlive the password.

A password change or reset, or a deactivated account, revokes the token; asking again with the
new password gives a new one; tokens expire; owners and admins list and revoke them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lib.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
NEW_PASSWORD = "a-much-longer-new-passphrase-42"
ClientFor = Callable[[User], Client]


def obtain(username: str, password: str) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    key: str = response.json()["token"]
    return key


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def reads(key: str) -> int:
    return with_token(key).get("/api/v1/applications/").status_code


@pytest.fixture
def seller(db: None) -> User:
    return make_user(Role.SALES, username="seller", password=PASSWORD)


def test_changing_the_password_on_its_page_revokes_the_token_and_the_next_one_is_new(
    seller: User, client_for: ClientFor
) -> None:
    old = obtain("seller", PASSWORD)
    assert reads(old) == 200
    page = client_for(seller).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert page.status_code == 302
    assert reads(old) == 401
    new = obtain("seller", NEW_PASSWORD)
    assert new != old
    assert reads(new) == 200


def test_a_password_reset_revokes_the_token(seller: User) -> None:
    # SetPasswordForm is what Django's reset link and the admin's password form save with.
    old = obtain("seller", PASSWORD)
    form = SetPasswordForm(seller, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert form.is_valid(), form.errors
    form.save()
    assert reads(old) == 401


def test_a_password_set_outside_the_pages_revokes_the_token_too(seller: User) -> None:
    # manage.py changepassword and the Django admin both end in set_password + save.
    old = obtain("seller", PASSWORD)
    seller.set_password(NEW_PASSWORD)
    seller.save()
    assert reads(old) == 401
    assert obtain("seller", NEW_PASSWORD) != old


def test_deactivating_a_user_revokes_their_token(seller: User) -> None:
    obtain("seller", PASSWORD)
    seller.is_active = False
    seller.save()
    assert not Token.objects.filter(user=seller).exists()


def test_signing_in_again_keeps_the_token(seller: User) -> None:
    key = obtain("seller", PASSWORD)
    assert Client().post(reverse("login"), {"username": "seller", "password": PASSWORD}).status_code == 302
    assert obtain("seller", PASSWORD) == key
    assert reads(key) == 200


def test_a_token_expires_after_its_lifetime_and_asking_again_gives_a_new_one(seller: User, settings: Any) -> None:
    settings.API_TOKEN_LIFETIME_DAYS = 7
    key = obtain("seller", PASSWORD)
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=7, seconds=1))
    refused = with_token(key).get("/api/v1/applications/")
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    fresh = obtain("seller", PASSWORD)
    assert fresh != key
    assert reads(fresh) == 200


def test_owners_list_and_revoke_their_own_token_and_admins_everyones(seller: User, client_for: ClientFor) -> None:
    other = make_user(Role.SALES, username="other", password=PASSWORD)
    admin = make_user(Role.COMPLIANCE_ADMIN, username="listadmin", password=PASSWORD)
    seller_key, other_key = obtain("seller", PASSWORD), obtain("other", PASSWORD)
    admin_key = obtain("listadmin", PASSWORD)

    mine = with_token(seller_key).get("/api/v1/auth/tokens/").json()
    assert [t["username"] for t in mine] == ["seller"]
    assert seller_key not in str(mine), "the list never shows a key"
    assert with_token(seller_key).delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 404
    assert reads(other_key) == 200

    everyone = with_token(admin_key).get("/api/v1/auth/tokens/").json()
    assert {t["username"] for t in everyone} == {"seller", "other", "listadmin"}
    assert with_token(admin_key).delete(f"/api/v1/auth/tokens/{other.pk}/").status_code == 204
    assert reads(other_key) == 401

    page = client_for(seller).get(reverse("tokens")).content.decode()
    assert "Revoke seller's token" in page and "<td>other</td>" not in page
    revoked = client_for(seller).post(reverse("token_revoke", args=[seller.pk]), follow=True)
    assert "Token revoked" in revoked.content.decode()
    assert reads(seller_key) == 401
    admin_page = client_for(admin).get(reverse("tokens")).content.decode()
    assert "Revoke listadmin's token" in admin_page
