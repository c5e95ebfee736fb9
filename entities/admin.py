"""Read-only Django admin for the list: changes go through the app's pages, which version them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from entities import sources
from entities.models import Address, Alias, Entity, ListSource, ListVersion, ListVersionChange


class ReadOnlyMixin:
    """An edit here would bypass the list versions that re-screening and audits depend on."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AliasInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Alias
    fields = ["name"]


class AddressInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = Address
    fields = ["address", "city", "state", "postal_code", "country"]


@admin.register(Entity)
class EntityAdmin(ReadOnlyMixin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    list_display = ["name", "source", "entity_type", "license_policy", "delisted_on"]
    list_filter = ["source", "entity_type", "license_policy"]
    search_fields = ["name", "aliases__name", "key"]
    inlines = [AliasInline, AddressInline]


class ListVersionChangeInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = ListVersionChange
    fields = ["entity", "change", "changed_fields"]
    raw_id_fields = ["entity"]


@admin.register(ListVersion)
class ListVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "kind", "created_at", "created_by", "added_count", "changed_count", "removed_count"]
    list_filter = ["kind"]
    inlines = [ListVersionChangeInline]


@admin.register(ListSource)
class ListSourceAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    """The sources page: what is fetched, when it was last checked, and any error, at a glance."""

    list_display = [
        "name",
        "fmt",
        "enabled",
        "every_minutes",
        "status",
        "last_checked_at",
        "last_version_number",
        "error",
    ]
    list_filter = ["status", "enabled"]
    fields = ["name", "url", "fmt", "every_minutes", "enabled", "max_removed_share", "notify"]
    readonly_fields = ["status", "error", "last_checked_at", "last_version_number", "checksum", "held_checksum"]
    actions = ["approve_held_file"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.fields, *self.readonly_fields]

    @admin.action(description="Approve the held file (the next fetch imports it)")
    def approve_held_file(self, request: HttpRequest, queryset: Any) -> None:
        for source in queryset:
            try:
                sources.approve_held(source=source, actor=request.user)  # type: ignore[arg-type]
            except sources.FetchError as exc:
                self.message_user(request, f"{source}: {exc}", level="warning")
            else:
                self.message_user(request, f"{source}: approved; the next fetch imports it.")
