from __future__ import annotations

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Screening and re-screening"

    def ready(self) -> None:
        # Connects the receivers that write re-screen jobs with list and threshold changes.
        from compliance import figures, signals  # noqa: F401
        from lib.dashboard import register_panel
        from lib.roles import Role

        register_panel(order=40, roles=(Role.COMPLIANCE_ADMIN, Role.AUDITOR), fill=figures.fill_dashboard)
