"""The list import pages (Compliance admins only): upload, then follow the job to its summary."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from entities.forms_import import ImportForm
from entities.importers.jobs import PreviewNotApplicable, apply_dry_run, live_progress, retry_job, start_import_job
from entities.models import ImportJob
from lib.permissions import role_required
from lib.progress import progress_item
from lib.roles import Role

RECENT_JOBS = 10


@role_required(Role.COMPLIANCE_ADMIN)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = start_import_job(
            actor=request.user,  # type: ignore[arg-type]
            file=form.cleaned_data["file"],
            fmt=form.cleaned_data["fmt"],
            dry_run=form.cleaned_data["dry_run"],
            alt_file=form.cleaned_data.get("alt_file"),
            add_file=form.cleaned_data.get("add_file"),
        )
        return redirect("entities:import_job", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:RECENT_JOBS]
    return render(request, "entities/import.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200)


@role_required(Role.COMPLIANCE_ADMIN)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    return render(
        request,
        "entities/import_job.html",
        {
            "job": job,
            "status_url": reverse("entities:import_job_status", args=[job.pk]),
            "retention_days": settings.IMPORT_FILE_RETENTION_DAYS,
        },
    )


@require_POST
@role_required(Role.COMPLIANCE_ADMIN)
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a dry run's file; the pairings left unticked on the preview are rejected."""
    job = get_object_or_404(ImportJob, pk=pk)
    kept = set(request.POST.getlist("pairing"))
    rejected = [str(p["token"]) for p in job.result.get("paired", []) if str(p["token"]) not in kept]
    try:
        applying = apply_dry_run(actor=request.user, job=job, rejected_pairings=rejected)  # type: ignore[arg-type]
    except PreviewNotApplicable as exc:
        messages.error(request, str(exc))
        return redirect("entities:import_job", pk=job.pk)
    return redirect("entities:import_job", pk=applying.pk)


@role_required(Role.COMPLIANCE_ADMIN)
def import_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(ImportJob, pk=pk)
    stage, done, total = live_progress(job)
    percent = 100 if job.status == ImportJob.Status.DONE else (int(100 * done / total) if total else None)
    return JsonResponse(
        {
            "status": job.status,
            "finished": job.finished,
            "stage": stage,
            "done": done,
            "total": total,
            "percent": percent,
            "summary": job.summary,
            "error": job.error,
            "progress": [
                progress_item(
                    job.pk,
                    percent=percent,
                    finished=job.finished,
                    stage=stage or job.get_status_display(),
                )
            ],
        }
    )


@role_required(Role.COMPLIANCE_ADMIN)
@require_POST
def import_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a failed import again from its kept file."""
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        retry_job(actor=request.user, job=job)  # type: ignore[arg-type]
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("entities:import_job", pk=job.pk)
