from __future__ import annotations

from django import forms
from django.conf import settings

from compliance.screening import MAX_CLEARANCE_REVIEW_DAYS, MAX_NAME_LENGTH
from compliance.validators import validate_visible_name


class ScreenForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME_LENGTH, label="Name", validators=[validate_visible_name])
    country = forms.CharField(
        max_length=2, required=False, label="Country (ISO code, optional)", help_text="e.g. CN, RU, IR"
    )

    def clean_country(self) -> str:
        value: str = self.cleaned_data["country"].strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError("Use a two-letter ISO 3166 country code.")
        return value


class BatchForm(forms.Form):
    file = forms.FileField(label="CSV of names", help_text="A 'name' column, and optionally 'country'.")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > settings.FILE_UPLOAD_MAX_MEMORY_SIZE:
            raise forms.ValidationError("The file is too large for one batch.")
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("Save the CSV as UTF-8.") from exc


class ThresholdForm(forms.Form):
    threshold = forms.FloatField(min_value=0.0, max_value=1.0, label="Threshold")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it changes")


class ClearanceSettingsForm(forms.Form):
    clearance_review_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_CLEARANCE_REVIEW_DAYS,
        label="Review remembered clearances after (days)",
        help_text="A remembered clearance stops clearing hits after this many days; new clearances only.",
    )
    remember_under_denial = forms.BooleanField(
        required=False,
        label="Allow remembering clearances of hits under a presumption or policy of denial",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it changes")
