"""Create (or find) an Integration account for an order system and print its API token.

The account has no usable password: it signs in with the token only, and reaches the export
check and nothing else. `--rotate` replaces the token (the old one stops working at once).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from rest_framework.authtoken.models import Token

from lib.roles import Role


class Command(BaseCommand):
    help = "Create an Integration account (export check only) and print its API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="A name for the calling system, e.g. sap-orders")
        parser.add_argument("--rotate", action="store_true", help="Replace the existing token")

    def handle(self, *args: Any, **options: Any) -> None:
        user, created = get_user_model().objects.get_or_create(username=options["username"])
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=Role.INTEGRATION.value))
        if options["rotate"]:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
