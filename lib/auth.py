"""API tokens: they expire, they die with the password, and their owner or an admin can revoke them.

DRF's token is one key per user, kept until deleted. Left like that, a key copied into a script
outlives the password that obtained it (issue 18): a password change or reset, or a deactivated
account, would leave the old key reading and writing. Here every change of a user's password
hash or a deactivation deletes the user's key (whatever changed it: the password page, the reset
link, the Django admin, `manage.py changepassword`), and a key older than API_TOKEN_LIFETIME_DAYS
is refused and replaced on the next request for one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from lib.roles import Role, has_role

logger = logging.getLogger(__name__)


def token_lifetime() -> timedelta:
    return timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)


def expires_at(token: Token) -> datetime:
    return token.created + token_lifetime()


def is_expired(token: Token) -> bool:
    return timezone.now() >= expires_at(token)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>`, refusing a key past its lifetime."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if is_expired(token):
            raise exceptions.AuthenticationFailed(
                f"Token expired (tokens last {settings.API_TOKEN_LIFETIME_DAYS} days): ask for a new one."
            )
        return user, token


def obtain_token(user: User) -> Token:
    """The user's current token, or a new one if they have none or theirs has expired."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and is_expired(token):
            token.delete()
            token = None
        return token or Token.objects.create(user=user)


@dataclass(frozen=True)
class TokenInfo:
    """What a token list shows: whose, when made, when it expires; never the key itself."""

    user_id: int
    username: str
    created: datetime
    expires: datetime
    expired: bool
    key_hint: str


def may_manage_tokens_of(actor: User | AnonymousUser, user_id: int) -> bool:
    """A user manages their own token; a Compliance admin (who keeps the user accounts) anyone's."""
    return bool(actor.is_authenticated and (actor.pk == user_id or has_role(actor, Role.COMPLIANCE_ADMIN)))


def tokens_visible_to(actor: User | AnonymousUser) -> list[TokenInfo]:
    tokens = Token.objects.select_related("user").order_by("user__username")
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        tokens = tokens.filter(user_id=actor.pk or 0)
    return [
        TokenInfo(
            user_id=token.user_id,
            username=token.user.get_username(),
            created=token.created,
            expires=expires_at(token),
            expired=is_expired(token),
            key_hint=f"{token.key[:4]}…",
        )
        for token in tokens
    ]


def revoke_tokens(*, actor: AbstractBaseUser | AnonymousUser | None, user_id: int, reason: str) -> int:
    """Delete a user's API token(s); returns how many there were. Callers check who may."""
    deleted, _ = Token.objects.filter(user_id=user_id).delete()
    if deleted:
        who = actor.get_username() if actor is not None and actor.is_authenticated else "system"
        logger.warning("API token of user %s revoked by %s: %s", user_id, who, reason)
    return deleted


@receiver(pre_save, sender=User)
def _note_credential_change(sender: type[User], instance: User, raw: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    if before["password"] != instance.password:
        instance._revoke_tokens_because = "password changed"  # type: ignore[attr-defined]
    elif before["is_active"] and not instance.is_active:
        instance._revoke_tokens_because = "account deactivated"  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _revoke_tokens_on_credential_change(sender: type[User], instance: User, **kwargs: Any) -> None:
    # After the save, in its transaction: a failed save keeps the token, a saved one loses it.
    reason: str | None = instance.__dict__.pop("_revoke_tokens_because", None)
    if reason:
        revoke_tokens(actor=None, user_id=instance.pk, reason=reason)
