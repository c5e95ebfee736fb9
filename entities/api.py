"""The list over the API: anyone signed in reads; Compliance admins write, each write a list version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from entities.filters import EntityFilter
from entities.models import Entity, ListVersion, ListVersionChange
from entities.serializers import (
    DelistSerializer,
    EntitySerializer,
    EntityWriteSerializer,
    HistoryEventSerializer,
    ListVersionChangeSerializer,
    ListVersionDetailSerializer,
    ListVersionSerializer,
)
from entities.services import create_entity, delist_entity, record_from_entity, update_entity
from entities.timeline import EntityTimeline
from lib.permissions import HasRole
from lib.roles import Role

VALIDATION_ERROR = OpenApiResponse(description="Invalid input; nothing was changed. Field names map to messages.")
FORBIDDEN = OpenApiResponse(description="Only Compliance admins change the list.")
VERSION_NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="The version number.")


def _as_api_error(error: DjangoValidationError) -> ValidationError:
    """A service's refusal as a DRF 400 with field messages ("non_field_errors" when it has no field)."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


@extend_schema(tags=["entities"])
@extend_schema_view(
    list=extend_schema(summary="Search the list (name or alias, source, type, country, policy, active)"),
    retrieve=extend_schema(summary="One entity with its aliases and addresses"),
)
class EntityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Entity],
):
    permission_classes = [HasRole]
    read_roles: tuple[Role, ...] = ()
    write_roles: tuple[Role, ...] = (Role.COMPLIANCE_ADMIN,)
    # Entities are delisted, never deleted; a whole-record PUT would silently blank what was not sent.
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = EntitySerializer
    filterset_class = EntityFilter

    def get_queryset(self) -> QuerySet[Entity]:
        return Entity.objects.select_related("first_version", "last_version").prefetch_related("aliases", "addresses")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in {"create", "partial_update"}:
            return EntityWriteSerializer
        if self.action == "delist":
            return DelistSerializer
        if self.action == "history":
            return HistoryEventSerializer
        return EntitySerializer

    def _read(self, pk: int) -> dict[str, Any]:
        return EntitySerializer(self.get_queryset().get(pk=pk)).data

    @extend_schema(
        summary="Add an entity by hand (one new list version)",
        request=EntityWriteSerializer,
        responses={201: EntitySerializer, 400: VALIDATION_ERROR, 403: FORBIDDEN},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EntityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entity = create_entity(
                actor=request.user,  # type: ignore[arg-type]
                record=serializer.to_record(),
                reason=serializer.validated_data["reason"],
            )
        except DjangoValidationError as error:
            raise _as_api_error(error) from error
        return Response(self._read(entity.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit an entity (one new list version); aliases or addresses sent replace them all",
        request=EntityWriteSerializer,
        responses={200: EntitySerializer, 400: VALIDATION_ERROR, 403: FORBIDDEN},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entity = self.get_object()
        serializer = EntityWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "reason" not in serializer.validated_data:
            raise ValidationError({"reason": ["Say why: every change to the list keeps its reason."]})
        try:
            update_entity(
                actor=request.user,  # type: ignore[arg-type]
                entity=entity,
                record=serializer.to_record(base=record_from_entity(entity)),
                reason=serializer.validated_data["reason"],
            )
        except DjangoValidationError as error:
            raise _as_api_error(error) from error
        return Response(self._read(entity.pk))

    @extend_schema(
        summary="Delist an entity with a reason (one new list version)",
        request=DelistSerializer,
        responses={200: EntitySerializer, 400: VALIDATION_ERROR, 403: FORBIDDEN},
    )
    @action(detail=True, methods=["post"])
    def delist(self, request: Request, pk: str | None = None) -> Response:
        entity = self.get_object()
        serializer = DelistSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            delist_entity(
                actor=request.user,  # type: ignore[arg-type]
                entity=entity,
                reason=serializer.validated_data["reason"],
                on=serializer.validated_data.get("delisted_on"),
            )
        except DjangoValidationError as error:
            raise _as_api_error(error) from error
        return Response(self._read(entity.pk))

    @extend_schema(
        summary="Who changed what, when and why, newest first, a page at a time",
        responses={200: HistoryEventSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        # The timeline reads only the page asked for: an entity touched by years of imports
        # costs no more than a new one.
        page = self.paginate_queryset(EntityTimeline(self.get_object()))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)


@extend_schema(tags=["list versions"])
@extend_schema_view(
    list=extend_schema(summary="Numbered list versions, newest first, with their counts"),
    retrieve=extend_schema(
        summary="One list version: who made it, when, why and its counts (its entities are at changes_url)",
        parameters=[VERSION_NUMBER],
    ),
)
class ListVersionViewSet(viewsets.ReadOnlyModelViewSet[ListVersion]):
    permission_classes = [HasRole]
    read_roles: tuple[Role, ...] = ()
    write_roles: tuple[Role, ...] = ()
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filterset_class = None

    def get_queryset(self) -> QuerySet[ListVersion]:
        return ListVersion.objects.select_related("created_by").order_by("-number")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "changes":
            return ListVersionChangeSerializer
        return ListVersionDetailSerializer if self.action == "retrieve" else ListVersionSerializer

    @extend_schema(
        summary="The entities one list version added, changed or removed, a page at a time",
        parameters=[
            VERSION_NUMBER,
            OpenApiParameter(
                "change",
                str,
                enum=ListVersionChange.Change.values,
                description="Only the entities added, changed or removed.",
            ),
        ],
        responses={200: ListVersionChangeSerializer(many=True), 400: VALIDATION_ERROR},
        filters=False,
    )
    @action(detail=True, methods=["get"])
    def changes(self, request: Request, number: str | None = None) -> Response:
        # A full import changes thousands of entities: they come a page at a time, in the
        # order the version recorded them.
        version = self.get_object()
        changes = (
            ListVersionChange.objects.filter(version=version)
            .select_related("entity")
            .only("entity_id", "entity__name", "change", "changed_fields")
            .order_by("id")
        )
        kind = request.query_params.get("change", "")
        if kind:
            if kind not in ListVersionChange.Change.values:
                choices = ", ".join(ListVersionChange.Change.values)
                raise ValidationError({"change": [f"{kind!r} is not one of {choices}."]})
            changes = changes.filter(change=kind)
        # The viewset's own paginate_queryset is typed for list versions; its paginator is not.
        paginator = self.paginator
        assert paginator is not None, "REST_FRAMEWORK names a default pagination class"
        page = paginator.paginate_queryset(changes, request, view=self)
        return self.get_paginated_response(ListVersionChangeSerializer(page, many=True).data)
