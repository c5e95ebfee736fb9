"""API shapes of the list. They validate input and describe output; the services decide."""

from __future__ import annotations

import dataclasses
from typing import Any

from rest_framework import serializers

from entities.countries import is_list_country, unknown_code_message
from entities.models import Address, Entity, EntityType, LicensePolicy, ListVersion, ListVersionChange
from entities.records import AddressRecord, EntityRecord

# Fields an API client may write; everything else (key, versions, delisting) is the services' business.
WRITABLE_FIELDS = (
    "source",
    "source_name",
    "source_id",
    "entity_number",
    "entity_type",
    "name",
    "title",
    "programs",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "license_policy_text",
    "remarks",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "citizenships",
    "nationalities",
    "dates_of_birth",
    "places_of_birth",
    "ids",
    "source_list_url",
    "source_information_url",
)
LIST_FIELDS = ("programs", "citizenships", "nationalities", "dates_of_birth", "places_of_birth", "ids")


class AddressSerializer(serializers.ModelSerializer[Address]):
    country = serializers.CharField(
        max_length=2,
        required=False,
        allow_blank=True,
        help_text="ISO 3166-1 alpha-2 code, e.g. CN; also XK (Kosovo) and AN (Netherlands Antilles) as the lists use.",
    )

    class Meta:
        model = Address
        fields = ["address", "city", "state", "postal_code", "country"]
        extra_kwargs = {f: {"required": False} for f in ["address", "city", "state", "postal_code"]}

    def validate_country(self, value: str) -> str:
        code = value.strip().upper()
        if code and not is_list_country(code):
            raise serializers.ValidationError(unknown_code_message(value.strip()))
        return code


class EntitySerializer(serializers.ModelSerializer[Entity]):
    """An entity as read: every column, its aliases and addresses, and the versions that touched it."""

    aliases = serializers.SerializerMethodField()
    addresses = AddressSerializer(many=True, read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    first_version = serializers.IntegerField(source="first_version.number", read_only=True, allow_null=True)
    last_version = serializers.IntegerField(source="last_version.number", read_only=True, allow_null=True)
    programs = serializers.ListField(child=serializers.CharField(), read_only=True)
    citizenships = serializers.ListField(child=serializers.CharField(), read_only=True)
    nationalities = serializers.ListField(child=serializers.CharField(), read_only=True)
    dates_of_birth = serializers.ListField(child=serializers.CharField(), read_only=True)
    places_of_birth = serializers.ListField(child=serializers.CharField(), read_only=True)
    ids = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Entity
        fields = [
            "id",
            "key",
            *WRITABLE_FIELDS,
            "aliases",
            "addresses",
            "is_active",
            "delisted_on",
            "delisted_reason",
            "first_version",
            "last_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_aliases(self, entity: Entity) -> list[str]:
        return [alias.name for alias in entity.aliases.all()]


class EntityWriteSerializer(serializers.Serializer[EntityRecord]):
    """The body of POST and PATCH: the record's fields, aliases as names, addresses, and a reason."""

    # DRF collects declared fields by name, so a field may be called `source` or `label` even though
    # Field has attributes of those names; the stubs cannot know that.
    source = serializers.RegexField(  # type: ignore[assignment]
        r"^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$", help_text="Short code, e.g. EL."
    )
    source_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    entity_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    entity_type = serializers.ChoiceField(choices=EntityType.choices, required=False)
    name = serializers.CharField(max_length=500)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)
    federal_register_notice = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    standard_order = serializers.CharField(max_length=20, required=False, allow_blank=True)
    license_requirement = serializers.CharField(required=False, allow_blank=True)
    license_policy = serializers.ChoiceField(choices=LicensePolicy.choices, required=False)
    license_policy_text = serializers.CharField(required=False, allow_blank=True)
    remarks = serializers.CharField(required=False, allow_blank=True)
    call_sign = serializers.CharField(max_length=100, required=False, allow_blank=True)
    vessel_type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    gross_tonnage = serializers.CharField(max_length=100, required=False, allow_blank=True)
    gross_registered_tonnage = serializers.CharField(max_length=100, required=False, allow_blank=True)
    vessel_flag = serializers.CharField(max_length=100, required=False, allow_blank=True)
    vessel_owner = serializers.CharField(max_length=500, required=False, allow_blank=True)
    programs = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    citizenships = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    nationalities = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    dates_of_birth = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    places_of_birth = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    ids = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    source_list_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source_information_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, help_text="Every a.k.a. name; replaces them all."
    )
    addresses = AddressSerializer(many=True, required=False, help_text="Every address; replaces them all.")
    reason = serializers.CharField(
        write_only=True, help_text="Why the list changes; kept with the list version and history."
    )

    def validate_name(self, value: str) -> str:
        return " ".join(value.split())

    def validate_source(self, value: str) -> str:
        return value.upper()

    def validate_aliases(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(" ".join(a.split()) for a in value if a.strip()))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date is before the start date."})
        return attrs

    def to_record(self, base: EntityRecord | None = None) -> EntityRecord:
        """The record the body describes; on PATCH, fields not sent keep their current values."""
        values: dict[str, Any] = {k: v for k, v in self.validated_data.items() if k != "reason"}
        for name in (*LIST_FIELDS, "aliases"):
            if name in values:
                values[name] = tuple(values[name])
        if "addresses" in values:
            values["addresses"] = tuple(AddressRecord(**address) for address in values["addresses"])
        if base is not None:
            return dataclasses.replace(base, **values)
        # Keyed by the service as an import of its source would key it (entities.keys).
        return EntityRecord(key="", **values)


class DelistSerializer(serializers.Serializer[None]):
    reason = serializers.CharField(help_text="Why the entity leaves the list, e.g. the Federal Register notice.")
    delisted_on = serializers.DateField(required=False, allow_null=True, help_text="Defaults to today.")


class FieldChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryEventSerializer(serializers.Serializer[Any]):
    when = serializers.DateTimeField()
    who = serializers.CharField(help_text="Username of the person (or system account) who made the change.")
    why = serializers.CharField(help_text="The reason recorded with the change.")
    kind = serializers.CharField(help_text="created, changed or deleted.")
    version = serializers.IntegerField(allow_null=True, help_text="The list version number of the change.")
    changes = FieldChangeSerializer(many=True)
    aliases_added = serializers.ListField(child=serializers.CharField())
    aliases_removed = serializers.ListField(child=serializers.CharField())
    addresses_added = serializers.ListField(child=serializers.CharField())
    addresses_removed = serializers.ListField(child=serializers.CharField())


class ListVersionSerializer(serializers.ModelSerializer[ListVersion]):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = ListVersion
        fields = [
            "number",
            "kind",
            "created_at",
            "created_by",
            "reason",
            "source_file",
            "sources",
            "added_count",
            "changed_count",
            "removed_count",
        ]
        read_only_fields = fields


class ListVersionChangeSerializer(serializers.ModelSerializer[ListVersionChange]):
    entity_name = serializers.CharField(source="entity.name", read_only=True)
    changed_fields = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = ListVersionChange
        fields = ["entity", "entity_name", "change", "changed_fields"]
        read_only_fields = fields


class ListVersionDetailSerializer(ListVersionSerializer):
    """A version's summary; its changes (thousands for a full import) are paged at `changes_url`."""

    changes_url = serializers.HyperlinkedIdentityField(
        view_name="list-version-changes",
        lookup_field="number",
        help_text="The entities this version added, changed or removed, paginated (?page=, ?change=).",
    )

    class Meta(ListVersionSerializer.Meta):
        fields = [*ListVersionSerializer.Meta.fields, "changes_url"]
        read_only_fields = fields
