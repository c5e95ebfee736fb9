from __future__ import annotations

from django.apps import AppConfig


class LibConfig(AppConfig):
    """Cross-app plumbing: roles, sign-in pages, navigation, demo data."""

    name = "lib"
    verbose_name = "Clearance core"

    def ready(self) -> None:
        from lib.history import guard_history

        guard_history()
