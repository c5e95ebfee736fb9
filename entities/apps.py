from __future__ import annotations

from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "entities"
    verbose_name = "Restricted-party list"

    def ready(self) -> None:
        from entities import figures
        from lib.dashboard import register_panel

        register_panel(order=30, roles=figures.LIST_READERS, fill=figures.fill_dashboard)
