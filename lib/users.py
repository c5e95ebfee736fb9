from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

SYSTEM_USERNAME = "system"


def system_user() -> User:
    """The account that scheduled tasks act as, so their changes are attributed too.

    It cannot log in (unusable password, inactive).
    """
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=SYSTEM_USERNAME, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def resolve_actor(username: str | None) -> User:
    """The user a management command acts as: `--user NAME`, else the system account."""
    if not username:
        return system_user()
    user_model = get_user_model()
    try:
        return user_model.objects.get(username=username)
    except user_model.DoesNotExist:
        from django.core.management import CommandError

        raise CommandError(f"No user named {username!r}.") from None
