from __future__ import annotations

from django.apps import AppConfig


class LibConfig(AppConfig):
    """Cross-app plumbing: roles, sign-in pages, navigation, demo data."""

    name = "lib"
    verbose_name = "Clearance core"

    def ready(self) -> None:
        # Connects the receivers that revoke API tokens when a password changes.
        import lib.auth  # noqa: F401
        from lib.history import guard_history

        guard_history()
