"""Forms of the list maintenance pages: they parse and validate; the services decide."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django import forms

from entities.countries import is_list_country, unknown_code_message
from entities.models import Entity, EntityType, LicensePolicy
from entities.records import AddressRecord, EntityRecord
from entities.services import record_from_entity
from lib.widgets import IsoDateInput

SOURCE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,15}$")
ADDRESS_HELP = (
    'One address per line: "street | city | country", e.g. "Bantian, Longgang District | Shenzhen | CN". '
    'Add state and postal code with "street | city | state | postal code | country". '
    "Leave a part empty when unknown; the country is a two-letter ISO code (XK for Kosovo)."
)


def country_code(value: str) -> str:
    """A country code a list entry may carry, upper-cased, or a ValidationError naming the bad value."""
    code = value.strip().upper()
    if code and not is_list_country(code):
        raise forms.ValidationError(unknown_code_message(value.strip()))
    return code


def parse_address_line(line: str) -> AddressRecord:
    parts = [part.strip() for part in line.split("|")]
    if len(parts) == 3:
        street, city, country = parts
        state = postal_code = ""
    elif len(parts) == 5:
        street, city, state, postal_code, country = parts
    else:
        raise forms.ValidationError(
            f'"{line}": write "street | city | country" or "street | city | state | postal code | country".'
        )
    if not any(parts):
        raise forms.ValidationError(f'"{line}": the address is empty.')
    return AddressRecord(address=street, city=city, state=state, postal_code=postal_code, country=country_code(country))


def address_to_line(address: AddressRecord) -> str:
    if address.state or address.postal_code:
        parts = [address.address, address.city, address.state, address.postal_code, address.country]
    else:
        parts = [address.address, address.city, address.country]
    return " | ".join(parts)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class EntityForm(forms.Form):
    name = forms.CharField(max_length=500)
    source = forms.CharField(
        max_length=16, label="Source list", initial="EL", help_text="Short code of the list, e.g. EL, SDN, MEU."
    )
    source_name = forms.CharField(max_length=200, required=False, label="Source list name")
    entity_type = forms.ChoiceField(choices=EntityType.choices, label="Type", initial=EntityType.ENTITY)
    title = forms.CharField(max_length=500, required=False, help_text="For individuals: position or title.")
    license_requirement = forms.CharField(
        required=False,
        label="Licence requirement",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='e.g. "For all items subject to the EAR, see §§ 734.9(e), 744.11".',
    )
    license_policy = forms.ChoiceField(choices=LicensePolicy.choices, label="Licence review policy")
    license_policy_text = forms.CharField(
        required=False,
        label="Review policy as the source states it",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    federal_register_notice = forms.CharField(
        required=False, label="Federal Register citation", help_text='e.g. "84 FR 22961, 5/21/2019".'
    )
    start_date = forms.DateField(required=False, widget=IsoDateInput())
    end_date = forms.DateField(required=False, widget=IsoDateInput())
    programs = forms.CharField(required=False, help_text="Comma-separated program codes, e.g. EAR744, IRAN.")
    remarks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    aliases = forms.CharField(
        required=False,
        label="Aliases (a.k.a.)",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One alias per line.",
    )
    addresses = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text=ADDRESS_HELP)
    reason = forms.CharField(
        label="Reason for this change",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the list version and the entity's history, e.g. the Federal Register notice.",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_source(self) -> str:
        source = self.cleaned_data["source"].strip().upper()
        if not SOURCE_CODE.match(source):
            raise forms.ValidationError("Use the list's short code: letters, digits, - or _, e.g. EL.")
        return source

    def clean_programs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.strip() for p in self.cleaned_data["programs"].split(",") if p.strip()))

    def clean_aliases(self) -> tuple[str, ...]:
        aliases = tuple(dict.fromkeys(" ".join(line.split()) for line in _lines(self.cleaned_data["aliases"])))
        too_long = [a for a in aliases if len(a) > 500]
        if too_long:
            raise forms.ValidationError(f"An alias is longer than 500 characters: {too_long[0][:40]}…")
        return aliases

    def clean_addresses(self) -> tuple[AddressRecord, ...]:
        records: list[AddressRecord] = []
        errors: list[forms.ValidationError] = []
        for line in _lines(self.cleaned_data["addresses"]):
            try:
                records.append(parse_address_line(line))
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return tuple(records)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date is before the start date.")
        return data

    def to_record(self, base: EntityRecord | None = None) -> EntityRecord:
        """The record the form describes; on edit, fields the form does not show keep their values."""
        data = self.cleaned_data
        values = {name: data[name] for name in self.fields if name != "reason"}
        if base is None:
            # Keyed by the service as an import of its source would key it (entities.keys).
            return EntityRecord(key="", **values)
        return dataclasses.replace(base, **values)

    @staticmethod
    def initial_for(entity: Entity) -> dict[str, Any]:
        record = record_from_entity(entity)
        initial = {name: getattr(record, name) for name in EntityForm.base_fields if hasattr(record, name)}
        initial["programs"] = ", ".join(record.programs)
        initial["aliases"] = "\n".join(record.aliases)
        initial["addresses"] = "\n".join(address_to_line(a) for a in record.addresses)
        return initial


class DelistForm(forms.Form):
    reason = forms.CharField(
        label="Reason for delisting",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. the Federal Register notice that removed the entry.",
    )
    delisted_on = forms.DateField(
        required=False,
        label="Delisted on",
        widget=IsoDateInput(),
        help_text="Leave empty for today.",
    )
