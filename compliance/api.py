"""Screening API: screen a name, screen a CSV batch, read and change the threshold."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import screening
from compliance.models import BatchScreening, ScreeningConfig
from compliance.validators import validate_visible_name
from lib.permissions import HasRole
from lib.roles import Role, has_role


class ScreenQuerySerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=screening.MAX_NAME_LENGTH, validators=[validate_visible_name])
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    limit = serializers.IntegerField(min_value=1, max_value=screening.MAX_LIMIT, required=False, default=10)


class ScreenView(APIView):
    """GET ?name=...&country=...: matches at or above the threshold, best first."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, required=True),
            OpenApiParameter("country", str, required=False, description="ISO 3166 alpha-2"),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        query = ScreenQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = screening.screen_name(data["name"], country=data.get("country") or None, limit=data["limit"])
        return Response(result.as_dict())


class BatchUploadSerializer(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField()


class BatchScreenView(APIView):
    """POST a CSV (multipart `file`): small files get the result CSV at once, large ones a job."""

    permission_classes = [HasRole]
    write_roles = tuple(Role)
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": BatchUploadSerializer}, responses={200: str, 202: dict})
    def post(self, request: Request) -> HttpResponse | Response:
        upload = BatchUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            text = file.read().decode("utf-8-sig")
            rows = screening.parse_names_csv(text)
        except (UnicodeDecodeError, ValueError) as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        if not rows:
            return Response({"file": ["No names found: give a 'name' column."]}, status=status.HTTP_400_BAD_REQUEST)
        if len(rows) <= screening.INLINE_BATCH_ROWS:
            response = HttpResponse(screening.screen_rows_csv(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="screening.csv"'
            return response
        job = screening.create_batch(actor=request.user, csv_text=text, filename=file.name or "")  # type: ignore[arg-type]
        return Response(
            {**screening.batch_progress(job), "status_url": f"/api/v1/screen/batch/{job.pk}/"},
            status=status.HTTP_202_ACCEPTED,
        )


def _visible_batch(request: Request, pk: int) -> BatchScreening:
    batches = BatchScreening.objects.all()
    if not has_role(request.user, Role.AUDITOR, Role.COMPLIANCE_ADMIN):
        batches = batches.filter(created_by=request.user.pk)
    return get_object_or_404(batches, pk=pk)


class BatchStatusView(APIView):
    permission_classes = [HasRole]

    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        job = _visible_batch(request, pk)
        data = screening.batch_progress(job)
        if job.status == BatchScreening.Status.DONE:
            data["result_url"] = f"/api/v1/screen/batch/{job.pk}/result/"
        return Response(data)


class BatchResultView(APIView):
    permission_classes = [HasRole]

    @extend_schema(responses={200: str})
    def get(self, request: Request, pk: int) -> HttpResponse | Response:
        job = _visible_batch(request, pk)
        if job.status != BatchScreening.Status.DONE:
            return Response(screening.batch_progress(job), status=status.HTTP_409_CONFLICT)
        response = HttpResponse(job.result_csv, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="screening-batch-{job.pk}.csv"'
        return response


class ScreeningConfigSerializer(serializers.Serializer[dict[str, Any]]):
    threshold = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    clearance_review_days = serializers.IntegerField(
        min_value=1,
        max_value=screening.MAX_CLEARANCE_REVIEW_DAYS,
        required=False,
        help_text="Days a remembered clearance stands before its review date.",
    )
    remember_under_denial = serializers.BooleanField(
        required=False, help_text="Whether a clearance may be remembered on a hit under a denial policy."
    )
    reason = serializers.CharField(write_only=True, max_length=2000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not set(attrs) - {"reason"}:
            raise serializers.ValidationError("Give the threshold or a clearance setting to change.")
        return attrs


class ScreeningConfigView(APIView):
    """GET the screening settings (anyone signed in); PATCH them (Compliance admins, with a reason)."""

    permission_classes = [HasRole]
    write_roles = (Role.COMPLIANCE_ADMIN,)

    def _body(self, config: ScreeningConfig) -> dict[str, Any]:
        return {
            "threshold": config.threshold,
            "matcher_version": config.matcher_version,
            "clearance_review_days": config.clearance_review_days,
            "remember_under_denial": config.remember_under_denial,
            "updated_at": config.updated_at,
        }

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(self._body(ScreeningConfig.load()))

    @extend_schema(request=ScreeningConfigSerializer, responses={200: dict})
    def patch(self, request: Request) -> Response:
        body = ScreeningConfigSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        config = ScreeningConfig.load()
        try:
            if "threshold" in data:
                config = screening.set_threshold(actor=request.user, threshold=data["threshold"], reason=data["reason"])
            if "clearance_review_days" in data or "remember_under_denial" in data:
                config = screening.set_clearance_policy(
                    actor=request.user,
                    review_days=data.get("clearance_review_days", config.clearance_review_days),
                    remember_under_denial=data.get("remember_under_denial", config.remember_under_denial),
                    reason=data["reason"],
                )
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self._body(config))
