"""Form widgets the apps share."""

from __future__ import annotations

from django import forms


class IsoDateInput(forms.DateInput):
    """A browser date picker, filled in ISO 8601.

    An `<input type="date">` only reads YYYY-MM-DD; Django would otherwise fill it in the
    locale's display format (21/05/2019 under en-gb), which the browser shows as blank, so
    saving an unrelated change would erase the date.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
