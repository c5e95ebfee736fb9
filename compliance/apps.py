from __future__ import annotations

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Screening and re-screening"

    def ready(self) -> None:
        # Connects the receivers that write re-screen jobs with list and threshold changes.
        from compliance import signals  # noqa: F401
