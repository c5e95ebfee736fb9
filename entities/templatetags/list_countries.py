"""`{{ code|country_name }}`: the name of a country code as the list pages show it."""

from __future__ import annotations

from django import template

from entities.countries import list_country_name

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    return list_country_name(code or "")
