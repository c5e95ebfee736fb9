"""Forms of the licence-request pages: they parse and validate formats; the services decide."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django_countries import countries

from licensing.licences import ShipmentData, ShipmentLineData
from licensing.models import (
    DOCUMENT_EXTENSIONS,
    AddressBookEntry,
    Application,
    Decision,
    LineItem,
    Party,
    Product,
    RememberedClearance,
    SignOffPolicy,
)
from licensing.services import MAX_REPLY_DOCUMENTS, ApplicationData, ItemData, PartyData
from licensing.validators import MAX_ITEMS, MAX_PARTIES, MAX_RATIONALE


def country_select() -> forms.Select:
    return forms.Select(
        choices=[("", "— choose a country —"), *((code, f"{name} ({code})") for code, name in countries)]
    )


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["type", "destination_country", "end_use", "additional_info", "requested_valid_until"]
        widgets = {
            "requested_valid_until": forms.DateInput(attrs={"type": "date"}),
            "destination_country": country_select(),
            "end_use": forms.Textarea(attrs={"rows": 3}),
            "additional_info": forms.Textarea(attrs={"rows": 3}),
        }


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["role", "name", "address", "country", "date_of_birth", "nationalities", "id_numbers"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "country": country_select(),
            "id_numbers": forms.Textarea(attrs={"rows": 2}),
        }


ITEM_FIELDS = ("eccn", "description", "model", "quantity", "unit", "unit_price", "manufacturer", "reasons_for_control")


class LineItemForm(forms.ModelForm):
    class Meta:
        model = LineItem
        fields = [*ITEM_FIELDS, "product"]
        # Set by the page script when a product is picked from the catalogue.
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "product": forms.HiddenInput()}


# max_num and absolute_max bound what a posted TOTAL_FORMS can make the page build.
PartyFormSet = inlineformset_factory(
    Application,
    Party,
    form=PartyForm,
    formset=BaseInlineFormSet,
    # Blank rows for a browser without scripts; the page script adds and removes rows.
    extra=3,
    can_delete=True,
    max_num=MAX_PARTIES,
    absolute_max=MAX_PARTIES,
    validate_max=True,
)
LineItemFormSet = inlineformset_factory(
    Application,
    LineItem,
    form=LineItemForm,
    formset=BaseInlineFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_ITEMS,
    absolute_max=MAX_ITEMS,
    validate_max=True,
)


def kept_forms(formset: BaseInlineFormSet[Any, Any, Any]) -> list[Any]:
    """The rows that become the request's parties or items, in order (blank and deleted ones left out)."""
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and (form.instance.pk or form.has_changed())
    ]


ROW_ERROR = re.compile(r"^(?P<label>parties|items)\[(?P<position>\d+)\]\.(?P<field>\w+)$")


def place_errors(
    exc: ValidationError,
    form: ApplicationForm,
    parties: BaseInlineFormSet[Any, Any, Any],
    items: BaseInlineFormSet[Any, Any, Any],
) -> None:
    """Put the services' refusals beside the fields they concern.

    The services name a row by its position among the rows kept (`items[1].quantity`); that is
    the n-th row of `kept_forms`, whatever blank or removed rows sit between them on the page.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    rows = {"parties": kept_forms(parties), "items": kept_forms(items)}
    for key, errors in exc.error_dict.items():
        match = ROW_ERROR.match(key)
        if match:
            kept = rows[match["label"]]
            position = int(match["position"])
            if position < len(kept):
                row = kept[position]
                row.add_error(match["field"] if match["field"] in row.fields else None, errors)
                continue
        if key in form.fields:
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


def application_data(
    form: ApplicationForm, parties: BaseInlineFormSet[Any, Any, Any], items: BaseInlineFormSet[Any, Any, Any]
) -> ApplicationData:
    """The validated page input as the services take it."""
    data = form.cleaned_data
    return ApplicationData(
        type=data["type"],
        destination_country=data["destination_country"],
        end_use=data.get("end_use", ""),
        additional_info=data.get("additional_info", ""),
        requested_valid_until=data.get("requested_valid_until"),
        parties=tuple(
            PartyData(
                id=f.instance.pk,
                role=f.cleaned_data["role"],
                name=f.cleaned_data["name"],
                address=f.cleaned_data.get("address", ""),
                country=f.cleaned_data["country"],
                date_of_birth=f.cleaned_data.get("date_of_birth", ""),
                nationalities=f.cleaned_data.get("nationalities", ""),
                id_numbers=f.cleaned_data.get("id_numbers", ""),
            )
            for f in kept_forms(parties)
        ),
        items=tuple(
            ItemData(
                id=f.instance.pk,
                product_id=f.cleaned_data["product"].pk if f.cleaned_data.get("product") else None,
                **{k: f.cleaned_data.get(k, "") for k in ITEM_FIELDS},
            )
            for f in kept_forms(items)
        ),
    )


class AddressEntryForm(forms.ModelForm):
    class Meta:
        model = AddressBookEntry
        fields = ["name", "address", "country"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2}), "country": country_select()}


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["description", "model", "manufacturer", "eccn", "reasons_for_control"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class ConfirmClassificationForm(forms.Form):
    eccn = forms.CharField(label="Confirmed ECCN", max_length=32)
    reasons_for_control = forms.CharField(label="Reasons for control", max_length=100, required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="How it was classified: the ECCN's entry, a data sheet, a CCATS.",
    )


class DocumentForm(forms.Form):
    file = forms.FileField(
        label="Supporting document",
        help_text=f"{', '.join(DOCUMENT_EXTENSIONS)}; at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in DOCUMENT_EXTENSIONS)}),
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=Decision.Outcome.choices, widget=forms.RadioSelect, label="Decision")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_RATIONALE,
        help_text="Always required: why this decision.",
    )
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Approvals only: provisos the applicant must pass on to the parties.",
    )
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Override reason",
        help_text="Required to approve over a confirmed hit under a presumption or policy of denial.",
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_RATIONALE,
        label="Question to the applicant",
        help_text="e.g. an end-user statement, a clearer end use, a data sheet. The request waits for the answer.",
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by the services like any other document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(f".{e}" for e in DOCUMENT_EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=MAX_RATIONALE, label="Your answer"
    )
    documents = MultipleFileField(
        required=False,
        label="Documents (optional)",
        help_text=f"Up to {MAX_REPLY_DOCUMENTS}: {', '.join(DOCUMENT_EXTENSIONS)}; each at most 10 MB.",
    )


class QuestionWithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=MAX_RATIONALE, label="Why the answer is no longer needed")


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=MAX_RATIONALE,
        label="Note",
        help_text="Notes are kept as written: correct one with a new note. Mention a colleague with @username.",
    )
    visible_to_applicant = forms.BooleanField(
        required=False,
        label="Visible to the applicant",
        help_text="Otherwise only reviewers, admins and auditors see it.",
    )


def assessment_from_post(data: Any, items: Any) -> dict[str, Any] | None:
    """The national-security assessment fields of the decision form, as `services.decide` takes them.

    None when the reviewer filled in none of them; the service says what a complete one needs.
    """
    rows = [
        {
            "item": item.pk,
            "reasons_for_control": data.get(f"assessment-item-{item.pk}-reasons", ""),
            "relevance": data.get(f"assessment-item-{item.pk}-relevance", ""),
        }
        for item in items
    ]
    end_use, grounds = data.get("assessment-end_use", ""), data.get("assessment-grounds", "")
    no_risk = data.get("assessment-no_risk") in {"on", "true", "1"}
    if not (end_use or grounds or no_risk or any(r["reasons_for_control"] or r["relevance"] for r in rows)):
        return None
    return {"items": rows, "end_use": end_use, "grounds": grounds, "no_risk_to_national_security": no_risk}


class CountersignForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[("agree", "Agree: the licence issues"), ("disagree", "Disagree: back to the decider")],
        widget=forms.RadioSelect,
        label="Your countersignature",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=MAX_RATIONALE,
        label="Reason",
        help_text="Required to disagree.",
    )


class SignOffPolicyForm(forms.ModelForm):
    reason = forms.CharField(max_length=500, required=False, label="Why the rules change")

    class Meta:
        model = SignOffPolicy
        fields = ["on_denial_override", "on_confirmed_hit", "value_threshold"]


class RationaleForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Rationale", max_length=MAX_RATIONALE
    )


class ClearForm(RationaleForm):
    remember = forms.BooleanField(
        required=False,
        label="Remember this clearance",
        help_text="Later hits of this party (same name, country and address) on this entity arrive cleared "
        "until the entity's record or the party changes, or the review date passes.",
    )


class ClearanceSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Party, entity or case")
    state = forms.ChoiceField(
        required=False, choices=[("", "Any state"), *RememberedClearance.State.choices], label="State"
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Why revoke", max_length=MAX_RATIONALE
    )


class ThresholdPreviewForm(forms.Form):
    threshold = forms.FloatField(min_value=0.0, max_value=1.0, label="Proposed threshold")


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, label="Reason (optional)")


class ReasonForm(forms.Form):
    """A licence action or a reversal: the service says a reason is required, the form only parses it."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Reason", max_length=5000)


class ShipmentForm(forms.Form):
    """The head of a shipment; its lines are one quantity and value field pair per licensed item."""

    shipped_on = forms.DateField(label="Shipped on", widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label="Order or invoice number", max_length=100)
    consignee = forms.TypedChoiceField(label="Consignee", coerce=int)

    def __init__(self, *args: Any, parties: Any = (), items: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.fields["consignee"].choices = [  # type: ignore[attr-defined]
            ("", "— choose a party on the licence —"),
            *((p.pk, f"{p.name} ({p.get_role_display().lower()}, {p.country})") for p in parties),
        ]
        for item in self.items:
            self.fields[f"quantity_{item.pk}"] = forms.DecimalField(
                label=f"Quantity of {item.eccn} {item.description[:40]}",
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
            )
            self.fields[f"value_{item.pk}"] = forms.DecimalField(
                label=f"Value of {item.eccn} {item.description[:40]}",
                required=False,
                min_value=0,
                max_digits=16,
                decimal_places=2,
            )

    def item_fields(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(item, self[f"quantity_{item.pk}"], self[f"value_{item.pk}"]) for item in self.items]

    def to_data(self) -> ShipmentData:
        data = self.cleaned_data
        lines = [
            ShipmentLineData(
                item_id=item.pk,
                quantity=data[f"quantity_{item.pk}"],
                value=data.get(f"value_{item.pk}") or Decimal(0),
            )
            for item in self.items
            if data.get(f"quantity_{item.pk}")
        ]
        return ShipmentData(
            shipped_on=data["shipped_on"], reference=data["reference"], consignee_id=data["consignee"], lines=lines
        )
