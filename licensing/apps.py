from __future__ import annotations

from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licence requests"

    def ready(self) -> None:
        from compliance.rescreen import register_target
        from lib.dashboard import register_panel
        from lib.roles import Role
        from licensing import figures
        from licensing.rescreening import CaseScreening

        # Re-screening (compliance) reaches licence requests only through this target.
        register_target(CaseScreening())
        register_panel(order=5, roles=(Role.SALES,), fill=figures.fill_sales_panel)
        register_panel(order=10, roles=(Role.REVIEWER,), fill=figures.fill_reviewer_panel)
        register_panel(order=15, roles=(Role.SALES,), fill=figures.fill_expiring_panel)
        register_panel(order=20, roles=tuple(Role), fill=figures.fill_requests_panel)
