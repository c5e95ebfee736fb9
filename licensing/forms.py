"""Forms of the licence-request pages: they parse and validate formats; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django_countries import countries

from licensing.licences import ShipmentData, ShipmentLineData
from licensing.models import DOCUMENT_EXTENSIONS, Application, Decision, LineItem, Party
from licensing.services import ApplicationData, ItemData, PartyData
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
        fields = ["role", "name", "address", "country"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2}), "country": country_select()}


ITEM_FIELDS = ("eccn", "description", "model", "quantity", "unit", "unit_price", "manufacturer", "reasons_for_control")


class LineItemForm(forms.ModelForm):
    class Meta:
        model = LineItem
        fields = list(ITEM_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


# max_num and absolute_max bound what a posted TOTAL_FORMS can make the page build.
PartyFormSet = inlineformset_factory(
    Application,
    Party,
    form=PartyForm,
    formset=BaseInlineFormSet,
    extra=2,
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


def _kept(formset: BaseInlineFormSet[Any, Any, Any]) -> list[Any]:
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and (form.instance.pk or form.has_changed())
    ]


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
            )
            for f in _kept(parties)
        ),
        items=tuple(
            ItemData(id=f.instance.pk, **{k: f.cleaned_data.get(k, "") for k in ITEM_FIELDS}) for f in _kept(items)
        ),
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


class RationaleForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Rationale", max_length=MAX_RATIONALE
    )


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
