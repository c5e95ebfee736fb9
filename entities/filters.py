"""Search and filters over the list, shared by the list page and the API so both answer alike."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from entities.models import Address, Alias, Entity, EntityQuerySet, EntityType, LicensePolicy

STATUS_CHOICES = [("", "Active and delisted"), ("true", "Active"), ("false", "Delisted")]


class EntityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q", label="Name or alias", help_text="Part of the name or of any alias, any case."
    )
    source = django_filters.CharFilter(method="filter_source", label="Source list", help_text="Short code, e.g. EL.")
    type = django_filters.ChoiceFilter(field_name="entity_type", choices=EntityType.choices, label="Type")
    country = django_filters.CharFilter(
        method="filter_country", label="Country", help_text="ISO 3166-1 alpha-2 code of any address, e.g. CN."
    )
    policy = django_filters.ChoiceFilter(
        field_name="license_policy", choices=LicensePolicy.choices, label="Review policy"
    )
    active = django_filters.BooleanFilter(
        method="filter_active",
        label="Status",
        widget=forms.Select(choices=STATUS_CHOICES),
        help_text="true: still listed; false: delisted.",
    )

    class Meta:
        model = Entity
        fields: list[str] = []

    # Exists() instead of a join keeps one row per entity (no DISTINCT, so pagination and
    # ordering stay cheap) and lets PostgreSQL stop at the first matching alias or address.
    def filter_q(self, queryset: EntityQuerySet, name: str, value: str) -> EntityQuerySet:
        value = " ".join(value.split())
        if not value:
            return queryset
        aliases = Alias.objects.filter(entity=OuterRef("pk"), name__icontains=value)
        return queryset.filter(Q(name__icontains=value) | Q(Exists(aliases)))

    def filter_source(self, queryset: EntityQuerySet, name: str, value: str) -> EntityQuerySet:
        value = value.strip()
        return queryset.filter(source__iexact=value) if value else queryset

    def filter_country(self, queryset: EntityQuerySet, name: str, value: str) -> EntityQuerySet:
        value = value.strip().upper()
        if not value:
            return queryset
        return queryset.filter(Exists(Address.objects.filter(entity=OuterRef("pk"), country=value)))

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_active(self, queryset: EntityQuerySet, name: str, value: bool | None) -> EntityQuerySet:
        if value is None:
            return queryset
        return queryset.active() if value else queryset.delisted()
