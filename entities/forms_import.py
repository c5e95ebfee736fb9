"""The list upload form: checks size, type and the OFAC companions; the import service decides the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

FORMAT_CHOICES = (
    ("", "Detect from the file"),
    ("csl-csv", "Consolidated Screening List, CSV"),
    ("csl-json", "Consolidated Screening List, JSON"),
    ("ofac-sdn", "OFAC SDN legacy CSV (sdn, alt and add files)"),
    ("un-xml", "UN Security Council consolidated list, XML"),
)
ALLOWED_SUFFIXES = (".csv", ".json", ".txt", ".xml")


def _check_file(upload: UploadedFile | None) -> UploadedFile | None:
    if upload is None:
        return None
    limit = settings.LIST_UPLOAD_MAX_BYTES
    if upload.size and upload.size > limit:
        raise forms.ValidationError(f"The file is larger than the {filesizeformat(limit)} allowed.")
    if not (upload.name or "").lower().endswith(ALLOWED_SUFFIXES):
        raise forms.ValidationError("Upload a .csv, .json or .xml list file.")
    head = upload.read(2048)
    upload.seek(0)
    if b"\x00" in head:
        raise forms.ValidationError("This is not a text file.")
    return upload


class ImportForm(forms.Form):
    file = forms.FileField(
        label="List file",
        help_text="CSL CSV or JSON, the OFAC sdn file, or the UN consolidated list XML.",
        widget=forms.ClearableFileInput(),
    )
    fmt = forms.ChoiceField(label="Format", choices=FORMAT_CHOICES, required=False)
    alt_file = forms.FileField(label="OFAC alt file (aliases)", required=False, help_text="Only for the OFAC format.")
    add_file = forms.FileField(label="OFAC add file (addresses)", required=False, help_text="Only for the OFAC format.")
    dry_run = forms.BooleanField(label="Dry run: show what would change, change nothing", required=False, initial=False)

    def clean_file(self) -> UploadedFile | None:
        return _check_file(self.cleaned_data.get("file"))

    def clean_alt_file(self) -> UploadedFile | None:
        return _check_file(self.cleaned_data.get("alt_file"))

    def clean_add_file(self) -> UploadedFile | None:
        return _check_file(self.cleaned_data.get("add_file"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("fmt") == "ofac-sdn":
            for name in ("alt_file", "add_file"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "The OFAC format needs the sdn, alt and add files together.")
        elif cleaned.get("alt_file") or cleaned.get("add_file"):
            self.add_error("fmt", "Choose the OFAC format to upload alt and add files.")
        return cleaned
