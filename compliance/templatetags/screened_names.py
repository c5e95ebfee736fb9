"""What screening made of a name, for the pages that show it to a reviewer."""

from __future__ import annotations

from django import template

from compliance.normalise import hidden_characters, visible_text

register = template.Library()


@register.filter
def hidden_characters_in(name: str) -> list[str]:
    """The invisible and direction-control characters in a name ('U+202E RIGHT-TO-LEFT OVERRIDE')."""
    return hidden_characters(name or "")


@register.filter
def screened_as(name: str) -> str:
    """The name as it displays, which is what screening compared."""
    return visible_text(name or "")
