"""API shapes of licence requests. Formats are checked by the model fields' validators; the
rules (who may do what, which move is legal, what submit needs) live in licensing.services."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.core.validators import MaxLengthValidator
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from licensing.export_checks import CheckItem, CheckParty, CheckRequest
from licensing.licences import ShipmentData, ShipmentLineData
from licensing.models import (
    DOCUMENT_EXTENSIONS,
    Application,
    CaseNote,
    Decision,
    Document,
    ExportCheck,
    Hit,
    Licence,
    LineBalance,
    LineItem,
    Party,
    Question,
    RememberedClearance,
    Shipment,
    ShipmentLine,
    SignOff,
    SignOffPolicy,
)
from licensing.services import MAX_REPLY_DOCUMENTS, ApplicationData, ItemData, PartyData
from licensing.validators import MAX_ITEMS, MAX_PARTIES, MAX_RATIONALE


class PartySerializer(serializers.ModelSerializer[Party]):
    id = serializers.IntegerField(required=False, help_text="Give the id to keep (update) an existing party.")

    class Meta:
        model = Party
        fields = ["id", "role", "name", "address", "country", "date_of_birth", "nationalities", "id_numbers"]


class LineItemSerializer(serializers.ModelSerializer[LineItem]):
    id = serializers.IntegerField(required=False, help_text="Give the id to keep (update) an existing item.")
    product_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The catalogue product the item was picked from; the case compares its ECCN with a confirmed one.",
    )

    class Meta:
        model = LineItem
        fields = [
            "id",
            "product_id",
            "eccn",
            "description",
            "model",
            "quantity",
            "unit",
            "unit_price",
            "total",
            "manufacturer",
            "reasons_for_control",
        ]
        read_only_fields = ["total"]


class HitSerializer(serializers.ModelSerializer[Hit]):
    party_name = serializers.CharField(source="party.name", read_only=True)
    application = serializers.IntegerField(source="party.application_id", read_only=True)
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    entity_source = serializers.CharField(source="entity.source", read_only=True)
    reviewed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Hit
        fields = [
            "id",
            "application",
            "party",
            "party_name",
            "entity",
            "entity_name",
            "entity_source",
            "score",
            "matched_name",
            "explanation",
            "license_requirement",
            "license_policy",
            "license_policy_text",
            "list_version",
            "threshold",
            "status",
            "rationale",
            "resolution",
            "reviewed_by",
            "reviewed_at",
            "cleared_by",
            "lapsed_clearance",
            "clearance_note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    decided_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    countersigned_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Decision
        fields = [
            "outcome",
            "rationale",
            "conditions",
            "override_reason",
            "assessment",
            "decided_by",
            "decided_at",
            "countersigned_by",
            "countersigned_at",
        ]
        read_only_fields = fields


class SignOffSerializer(serializers.ModelSerializer[SignOff]):
    proposed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    countersigned_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = SignOff
        fields = [
            "id",
            "proposed_by",
            "proposed_at",
            "rationale",
            "conditions",
            "override_reason",
            "assessment",
            "reasons",
            "status",
            "countersigned_by",
            "countersigned_at",
            "countersign_reason",
        ]
        read_only_fields = fields


class SignOffPolicySerializer(serializers.ModelSerializer[SignOffPolicy]):
    reason = serializers.CharField(write_only=True, required=False, default="", max_length=500)

    class Meta:
        model = SignOffPolicy
        fields = ["on_denial_override", "on_confirmed_hit", "value_threshold", "updated_at", "reason"]
        read_only_fields = ["updated_at"]


class LicenceSerializer(serializers.ModelSerializer[Licence]):
    class Meta:
        model = Licence
        fields = ["number", "valid_from", "valid_until", "conditions", "status", "issued_at"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer[Document]):
    uploaded_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of who attached the document."
    )
    download = serializers.SerializerMethodField(help_text="Where to GET the file itself.")

    class Meta:
        model = Document
        fields = ["id", "name", "size", "content_type", "uploaded_by", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, obj: Document) -> str:
        return reverse("api-application-document", kwargs={"pk": obj.application_id, "doc": obj.pk})


@extend_schema_field(OpenApiTypes.BINARY)
class UploadedFileField(serializers.FileField):
    """A file sent in a multipart body: described as binary (drf-spectacular's default is a URL)."""


class DocumentUploadSerializer(serializers.Serializer[dict[str, Any]]):
    # Only the shape is checked here (a non-empty file); the type and size limits are the model
    # field's, applied by licensing.services.add_document for the page and the API alike.
    file = UploadedFileField(help_text=f"{', '.join(DOCUMENT_EXTENSIONS)}; at most 10 MB.")


class QuestionSerializer(serializers.ModelSerializer[Question]):
    asked_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    replied_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    documents = DocumentSerializer(many=True, read_only=True, help_text="Documents sent with the reply.")

    class Meta:
        model = Question
        fields = [
            "id",
            "application",
            "text",
            "asked_by",
            "asked_at",
            "status",
            "reply",
            "replied_by",
            "replied_at",
            "withdrawn_reason",
            "reminders_sent",
            "last_reminded_at",
            "documents",
        ]
        read_only_fields = fields


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    applicant: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_to: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    parties = PartySerializer(many=True, read_only=True)
    items = LineItemSerializer(many=True, read_only=True)
    hits = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    sign_offs = SignOffSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(
        read_only=True, help_text="Past its target date and not awaiting the applicant."
    )
    decision = serializers.SerializerMethodField()
    licence = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "applicant",
            "type",
            "destination_country",
            "end_use",
            "additional_info",
            "amends",
            "requested_valid_until",
            "total_value",
            "status",
            "assigned_to",
            "submitted_at",
            "decided_at",
            "needs_attention",
            "attention_reason",
            "last_screened_version",
            "reply_received_at",
            "target_date",
            "is_overdue",
            "determination",
            "parties",
            "items",
            "hits",
            "documents",
            "questions",
            "sign_offs",
            "decision",
            "licence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(HitSerializer(many=True))
    def get_hits(self, obj: Application) -> list[dict[str, Any]]:
        # Reads the prefetched parties__hits when the view prefetched them (list pages), so a
        # page of applications costs the same number of queries whatever its length.
        hits = [hit for party in obj.parties.all() for hit in party.hits.all()]
        return list(HitSerializer(hits, many=True).data)

    @extend_schema_field(DecisionSerializer(allow_null=True))
    def get_decision(self, obj: Application) -> dict[str, Any] | None:
        try:
            decision = obj.decision
        except Decision.DoesNotExist:
            return None
        return dict(DecisionSerializer(decision).data)

    @extend_schema_field(LicenceSerializer(allow_null=True))
    def get_licence(self, obj: Application) -> dict[str, Any] | None:
        try:
            licence = obj.licence
        except Licence.DoesNotExist:
            return None
        return dict(LicenceSerializer(licence).data)


class ApplicationWriteSerializer(serializers.ModelSerializer[Application]):
    # Bounded here too, and said in the schema, so a body with 100,000 parties is refused.
    parties = PartySerializer(
        many=True,
        required=False,
        validators=[MaxLengthValidator(MAX_PARTIES, f"A request has at most {MAX_PARTIES} parties.")],
        help_text=f"At most {MAX_PARTIES} parties.",
    )
    items = LineItemSerializer(
        many=True,
        required=False,
        validators=[MaxLengthValidator(MAX_ITEMS, f"A request has at most {MAX_ITEMS} line items.")],
        help_text=f"At most {MAX_ITEMS} line items.",
    )

    class Meta:
        model = Application
        fields = [
            "type",
            "destination_country",
            "end_use",
            "additional_info",
            "requested_valid_until",
            "parties",
            "items",
        ]

    def to_data(self, current: Application | None = None) -> ApplicationData:
        """The validated input as the services take it; omitted fields keep `current`'s values."""
        values: dict[str, Any] = dict(self.validated_data)
        if current is not None:
            for name in ("type", "destination_country", "end_use", "additional_info", "requested_valid_until"):
                values.setdefault(name, getattr(current, name))
            if "parties" not in values:
                values["parties"] = [
                    {
                        "id": p.pk,
                        "role": p.role,
                        "name": p.name,
                        "address": p.address,
                        "country": p.country,
                        "date_of_birth": p.date_of_birth,
                        "nationalities": p.nationalities,
                        "id_numbers": p.id_numbers,
                    }
                    for p in current.parties.all()
                ]
            if "items" not in values:
                values["items"] = [
                    {f: getattr(i, f) for f in ItemData.__dataclass_fields__ if f != "id"} | {"id": i.pk}
                    for i in current.items.all()
                ]
        # A PATCH is partial all the way down, so a row may arrive without a field the row needs.
        _require_fields("parties", PartyData, values.get("parties", []))
        _require_fields("items", ItemData, values.get("items", []))
        return ApplicationData(
            type=values.get("type", Application.Type.EXPORT),
            destination_country=values.get("destination_country", ""),
            end_use=values.get("end_use", ""),
            additional_info=values.get("additional_info", ""),
            requested_valid_until=values.get("requested_valid_until"),
            parties=tuple(PartyData(**dict(p)) for p in values.get("parties", [])),
            items=tuple(
                ItemData(**{k: v for k, v in dict(i).items() if k != "total"}) for i in values.get("items", [])
            ),
        )


def _require_fields(name: str, row_type: Any, rows: Any) -> None:
    """A 400 naming what a party or item row lacks, rather than a TypeError building it."""
    needed = [
        f.name
        for f in dataclasses.fields(row_type)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    for position, row in enumerate(rows):
        missing = [field for field in needed if field not in dict(row)]
        if missing:
            raise serializers.ValidationError({name: [f"Row {position + 1} needs {', '.join(missing)}."]})


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_RATIONALE, **kwargs)


class AssessedItemSerializer(serializers.Serializer[dict[str, Any]]):
    item = serializers.IntegerField(help_text="The line item's id.", min_value=1, max_value=2**31 - 1)
    reasons_for_control = _text(help_text="e.g. NS1 AT1, or EAR99.")
    relevance = _text(help_text="Why these reasons do or do not matter for this end user.")


class AssessmentSerializer(serializers.Serializer[dict[str, Any]]):
    items = serializers.ListField(child=AssessedItemSerializer(), max_length=MAX_ITEMS, required=False, default=list)
    end_use = _text()
    no_risk_to_national_security = serializers.BooleanField(default=False)
    grounds = _text(help_text="The grounds of the conclusion.")


class DecisionInputSerializer(serializers.Serializer[dict[str, Any]]):
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    rationale = _text()
    conditions = _text()
    override_reason = _text()
    assessment = AssessmentSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required to approve over a presumption or policy of denial: the national-security assessment.",
    )


class AssignCasesSerializer(serializers.Serializer[dict[str, Any]]):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=500
    )
    reviewer = serializers.CharField(max_length=150, help_text="The reviewer's username.")


class CountersignInputSerializer(serializers.Serializer[dict[str, Any]]):
    agree = serializers.BooleanField(help_text="true: the licence issues; false: back to the decider.")
    reason = _text(help_text="Required to disagree.")


class RationaleSerializer(serializers.Serializer[dict[str, Any]]):
    rationale = _text()


class WithdrawSerializer(serializers.Serializer[dict[str, Any]]):
    reason = _text()


class CaseNoteSerializer(serializers.ModelSerializer[CaseNote]):
    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    mentioned: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )

    class Meta:
        model = CaseNote
        fields = ["id", "application", "author", "text", "visible_to_applicant", "mentioned", "created_at"]
        read_only_fields = fields


class NoteInputSerializer(serializers.Serializer[dict[str, Any]]):
    text = _text(help_text="The note; `@username` notifies that user. Notes are never edited.")
    visible_to_applicant = serializers.BooleanField(default=False, help_text="Internal (false) by default.")


class QuestionInputSerializer(serializers.Serializer[dict[str, Any]]):
    # Optional here so that the service alone says a question needs words (one rule, one message).
    text = _text(help_text=f"The question to the applicant; at most {MAX_RATIONALE:,} characters.")


class ReplyInputSerializer(serializers.Serializer[dict[str, Any]]):
    text = _text(help_text=f"The answer; at most {MAX_RATIONALE:,} characters.")
    files = serializers.ListField(
        child=UploadedFileField(),
        required=False,
        default=list,
        max_length=MAX_REPLY_DOCUMENTS,
        help_text=f"Up to {MAX_REPLY_DOCUMENTS} documents ({', '.join(DOCUMENT_EXTENSIONS)}; each at most 10 MB).",
    )


class QuestionWithdrawSerializer(serializers.Serializer[dict[str, Any]]):
    reason = _text(help_text="Why the answer is no longer needed.")


class TimelineEventSerializer(serializers.Serializer[dict[str, Any]]):
    when = serializers.DateTimeField()
    actor = serializers.CharField()
    subject = serializers.CharField()
    action = serializers.CharField()
    reason = serializers.CharField()
    rationale = serializers.CharField()
    changes = serializers.ListField(child=serializers.DictField())


class ClearInputSerializer(serializers.Serializer[dict[str, Any]]):
    rationale = _text()
    remember = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also remember the clearance for this party identity and entity (see /clearances/).",
    )


class RememberedClearanceSerializer(serializers.ModelSerializer[RememberedClearance]):
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    state = serializers.CharField(read_only=True)
    cleared_hits = serializers.SerializerMethodField(help_text="Ids of the hits it clears now.")

    class Meta:
        model = RememberedClearance
        fields = [
            "id",
            "state",
            "party_name",
            "party_country",
            "party_address",
            "entity",
            "entity_name",
            "entity_hash",
            "list_version",
            "entity_record",
            "score",
            "matched_name",
            "explanation",
            "license_policy",
            "rationale",
            "hit",
            "application",
            "application_reference",
            "created_by",
            "created_at",
            "review_by",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "cleared_hits",
        ]
        read_only_fields = fields

    def get_cleared_hits(self, obj: RememberedClearance) -> list[int]:
        return [hit.pk for hit in obj.cleared_hits.all()]


class RevokeInputSerializer(serializers.Serializer[dict[str, Any]]):
    reason = _text()


class LineBalanceSerializer(serializers.Serializer[LineBalance]):
    item = serializers.IntegerField(source="item.pk", help_text="The licensed line item's id.")
    eccn = serializers.CharField(source="item.eccn")
    description = serializers.CharField(source="item.description")
    unit = serializers.CharField(source="item.unit")
    licensed_quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    shipped_quantity = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Net of reversals.")
    remaining_quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    licensed_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    shipped_value = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Net of reversals.")
    remaining_value = serializers.DecimalField(max_digits=16, decimal_places=2)
    used_up = serializers.BooleanField()


class LicenceDetailSerializer(serializers.ModelSerializer[Licence]):
    application = serializers.IntegerField(source="application_id", read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)
    balance = serializers.SerializerMethodField(help_text="Per licensed line: licensed, shipped, remaining.")
    superseded_by = serializers.SerializerMethodField(help_text="The licence version an approved amendment issued.")

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_superseded_by(self, obj: Licence) -> int | None:
        newer = Licence.objects.filter(supersedes=obj).values_list("pk", flat=True).first()
        return newer

    class Meta:
        model = Licence
        fields = [
            "id",
            "number",
            "application",
            "reference",
            "status",
            "status_reason",
            "valid_from",
            "valid_until",
            "conditions",
            "issued_at",
            "supersedes",
            "superseded_by",
            "balance",
        ]
        read_only_fields = fields

    @extend_schema_field(LineBalanceSerializer(many=True))
    def get_balance(self, obj: Licence) -> list[dict[str, Any]]:
        return list(LineBalanceSerializer(obj.balances(), many=True).data)  # type: ignore[arg-type]


class ShipmentLineSerializer(serializers.ModelSerializer[ShipmentLine]):
    class Meta:
        model = ShipmentLine
        fields = ["item", "quantity", "value"]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer[Shipment]):
    recorded_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "licence",
            "kind",
            "shipped_on",
            "reference",
            "consignee",
            "reverses",
            "reason",
            "recorded_by",
            "recorded_at",
            "lines",
        ]
        read_only_fields = fields


class ShipmentLineInputSerializer(serializers.Serializer[dict[str, Any]]):
    item = serializers.IntegerField(help_text="The id of a line item on the licence.")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"))


class ShipmentInputSerializer(serializers.Serializer[dict[str, Any]]):
    shipped_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, help_text="Order or invoice number.")
    consignee = serializers.IntegerField(help_text="The id of a party on the licence.")
    lines = ShipmentLineInputSerializer(many=True, max_length=200)  # type: ignore[call-arg]

    def to_data(self) -> ShipmentData:
        data = self.validated_data
        return ShipmentData(
            shipped_on=data["shipped_on"],
            reference=data["reference"],
            consignee_id=data["consignee"],
            lines=[
                ShipmentLineData(item_id=line["item"], quantity=line["quantity"], value=line["value"])
                for line in data["lines"]
            ],
        )


class ReasonSerializer(serializers.Serializer[dict[str, Any]]):
    reason = _text()


class CheckPartySerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=300)
    country = serializers.CharField(max_length=2, min_length=2, help_text="ISO 3166 two-letter code.")
    address = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CheckItemSerializer(serializers.Serializer[dict[str, Any]]):
    eccn = serializers.CharField(max_length=32, help_text="e.g. 5A002, 3A991 or EAR99.")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    value = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("0"))


class ExportCheckInputSerializer(serializers.Serializer[dict[str, Any]]):
    licence_number = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        help_text="The licence the order ships under; leave out to ask whether one is needed.",
    )
    consignee = CheckPartySerializer()
    end_user = CheckPartySerializer()
    items = CheckItemSerializer(many=True, min_length=1, max_length=200)  # type: ignore[call-arg]
    shipped_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today.")
    reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Order or invoice number."
    )
    record = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also record the shipment when allowed (needs licence_number, reference and an Idempotency-Key).",
    )

    def to_request(self) -> CheckRequest:
        data = self.validated_data

        def party(raw: dict[str, Any]) -> CheckParty:
            return CheckParty(name=raw["name"], country=raw["country"].strip().upper(), address=raw["address"])

        return CheckRequest(
            licence_number=data["licence_number"] or "",
            consignee=party(data["consignee"]),
            end_user=party(data["end_user"]),
            items=[CheckItem(eccn=i["eccn"], quantity=i["quantity"], value=i["value"]) for i in data["items"]],
            shipped_on=data["shipped_on"],
            reference=data["reference"],
            record=data["record"],
        )


class ScreeningHitSerializer(serializers.Serializer[dict[str, Any]]):
    party = serializers.CharField(help_text="consignee or end user")
    name = serializers.CharField(help_text="The name the order system sent.")
    entity_id = serializers.IntegerField()
    matched_name = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    score = serializers.FloatField()
    explanation = serializers.DictField(help_text="Why it matched: normalised names, tokens, country evidence.")
    license_requirement = serializers.CharField()
    license_policy = serializers.CharField()
    reviewed_on_licence = serializers.BooleanField(help_text="A reviewer already weighed this match for the licence.")


class ExportCheckLicenceSerializer(serializers.Serializer[dict[str, Any]]):
    number = serializers.CharField()
    status = serializers.CharField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    balance = serializers.ListField(child=serializers.DictField())


class ExportCheckAnswerSerializer(serializers.Serializer[dict[str, Any]]):
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Every reason for the answer.")
    list_version = serializers.IntegerField(
        allow_null=True, help_text="The list version the parties were screened against."
    )
    screening = ScreeningHitSerializer(many=True)
    licence = ExportCheckLicenceSerializer(allow_null=True)
    determination = serializers.DictField(allow_null=True, help_text="With no licence: whether one is needed, and why.")
    shipment = serializers.IntegerField(allow_null=True, help_text="The shipment recorded (record=true and allowed).")


class ExportCheckSerializer(serializers.ModelSerializer[ExportCheck]):
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    answer = ExportCheckAnswerSerializer(read_only=True)

    class Meta:
        model = ExportCheck
        fields = [
            "id",
            "requested_by",
            "requested_at",
            "allowed",
            "list_version",
            "licence_number",
            "reference",
            "consignee_name",
            "end_user_name",
            "shipment",
            "payload",
            "answer",
        ]
        read_only_fields = fields


class BulkLicenceActionSerializer(serializers.Serializer[dict[str, Any]]):
    action = serializers.ChoiceField(choices=["suspend", "revoke"])
    reason = _text()
    licences = serializers.ListField(
        child=serializers.IntegerField(), max_length=10_000, help_text="The ids the preview listed."
    )
