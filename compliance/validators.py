"""Validators for names that will be screened: shared by the screening forms and API, and by the
apps that hold parties (a name a reader cannot see cannot be screened)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from compliance.normalise import has_visible_letters

VISIBLE_NAME_MESSAGE = (
    "Enter a name with visible letters: this one is made only of invisible characters "
    "(zero-width spaces, direction controls), spaces or punctuation, so it cannot be screened."
)


def validate_visible_name(value: str) -> None:
    """Refuse a name in which a reader sees no letter or digit."""
    if value and not has_visible_letters(value):
        raise ValidationError(VISIBLE_NAME_MESSAGE, code="invisible_name")
