"""Re-screen progress: a page with a live progress bar per job, and the /api/v1/rescreens/ API.

Compliance admins and auditors read; only Compliance admins start a full re-screen or retry a
failed one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen.jobs import JobNotRetryable
from lib.drf import acting_user
from lib.permissions import HasRole, role_required
from lib.roles import Role, has_role

READ_ROLES = (Role.COMPLIANCE_ADMIN, Role.AUDITOR)
PAGE_JOBS = 50


class FullRescreenForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Why re-screen everything",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the job: auditors read it.",
    )


def _jobs() -> QuerySet[RescreenJob]:
    return RescreenJob.objects.select_related("requested_by", "retried_by")


@role_required(*READ_ROLES)
def rescreens(request: HttpRequest) -> HttpResponse:
    can_start = has_role(request.user, Role.COMPLIANCE_ADMIN)
    form = FullRescreenForm(request.POST or None)
    if request.method == "POST":
        if not can_start:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                job = rescreen.request_full_rescreen(actor=request.user, reason=form.cleaned_data["reason"])
            except ValueError as exc:
                form.add_error("reason", str(exc))
            else:
                messages.success(request, f"Full re-screen {job.pk} queued against list version {job.list_version}.")
                return redirect("compliance:rescreens")
    jobs = list(_jobs()[:PAGE_JOBS])
    active = [job.pk for job in jobs if job.status in (RescreenJob.Status.PENDING, RescreenJob.Status.RUNNING)]
    return render(
        request,
        "compliance/rescreens.html",
        {"jobs": jobs, "form": form, "can_start": can_start, "active": active},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@role_required(Role.COMPLIANCE_ADMIN)
def rescreen_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(RescreenJob, pk=pk)
    try:
        rescreen.retry_job(actor=request.user, job=job)  # type: ignore[arg-type]  # role_required: signed in
    except JobNotRetryable as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Re-screen {job.pk} queued again.")
    return redirect("compliance:rescreens")


@role_required(*READ_ROLES)
def rescreens_status(request: HttpRequest) -> JsonResponse:
    """The progress of the jobs named in ?ids=1,2,3 (the page polls this while any is running)."""
    raw = request.GET.get("ids", "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()][:PAGE_JOBS]
    except ValueError:
        return JsonResponse({"error": "ids must be job numbers separated by commas"}, status=400)
    jobs = list(_jobs().filter(pk__in=ids))
    return JsonResponse(
        {"jobs": [rescreen.progress(job) for job in jobs], "progress": [rescreen.progress_item(job) for job in jobs]}
    )


# --- API -----------------------------------------------------------------------------------------


class RescreenJobSerializer(serializers.ModelSerializer[RescreenJob]):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default=None)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = RescreenJob
        fields = [
            "id",
            "kind",
            "list_version",
            "reason",
            "requested_by",
            "status",
            "threshold",
            "total_chunks",
            "done_chunks",
            "percent",
            "hits_found",
            "new_hits",
            "delisted_hits",
            "unmatched_hits",
            "parties_screened",
            "attempts",
            "retries",
            "retried_at",
            "created_at",
            "enqueued_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "error",
        ]
        read_only_fields = fields


class FullRescreenSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000)


class RescreenListView(ListAPIView[RescreenJob]):
    """GET: re-screen jobs, newest first, with progress. POST (Compliance admins): re-screen everything."""

    permission_classes = [HasRole]
    read_roles = READ_ROLES
    write_roles = (Role.COMPLIANCE_ADMIN,)
    serializer_class = RescreenJobSerializer
    filterset_fields = ["status", "kind", "list_version"]

    def get_queryset(self) -> QuerySet[RescreenJob]:
        return _jobs()

    @extend_schema(request=FullRescreenSerializer, responses={202: RescreenJobSerializer})
    def post(self, request: Request) -> Response:
        body = FullRescreenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            job = rescreen.request_full_rescreen(actor=request.user, reason=body.validated_data["reason"])
        except ValueError as exc:
            return Response({"reason": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RescreenJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RescreenDetailView(APIView):
    permission_classes = [HasRole]
    read_roles = READ_ROLES

    @extend_schema(responses={200: RescreenJobSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(RescreenJobSerializer(get_object_or_404(_jobs(), pk=pk)).data)


class RescreenRetryView(APIView):
    """Run a failed re-screen again (Compliance admins): its unfinished chunks get fresh attempts."""

    permission_classes = [HasRole]
    write_roles = (Role.COMPLIANCE_ADMIN,)

    @extend_schema(request=None, responses={202: RescreenJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        job = rescreen.retry_job(actor=acting_user(request), job=get_object_or_404(_jobs(), pk=pk))
        return Response(RescreenJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
