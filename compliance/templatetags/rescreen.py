"""`{% screened_against application %}`: the list version a case was last screened against."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

if TYPE_CHECKING:
    from licensing.models import Application

register = template.Library()


@register.inclusion_tag("compliance/_screened_against.html")
def screened_against(application: Application) -> dict[str, Any]:
    from compliance.rescreen import screened_against as state

    return {"screening": state(application)}
