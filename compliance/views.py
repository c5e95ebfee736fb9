"""Screening pages: screen a name, batch screening with progress, and the threshold setting."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from compliance import screening
from compliance.forms import BatchForm, ClearanceSettingsForm, ScreenForm, ThresholdForm
from compliance.models import BatchScreening, ScreeningConfig
from lib.permissions import role_required
from lib.roles import Role, has_role


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    form = ScreenForm(request.GET or None)
    result = None
    rows: list[dict[str, object]] = []
    if form.is_valid():
        result = screening.screen_name(form.cleaned_data["name"], country=form.cleaned_data["country"] or None)
        details = screening.entity_details([m.key for m in result.matches])
        rows = [
            {"match": m, "entity": details.get(m.key, {}), "explanation": screening.explanation_json(m)}
            for m in result.matches
        ]
    return render(request, "compliance/screen.html", {"form": form, "result": result, "rows": rows})


def _own_batches(request: HttpRequest) -> QuerySet[BatchScreening]:
    batches = BatchScreening.objects.all()
    # Auditors and compliance admins see every batch; others their own.
    if not has_role(request.user, Role.AUDITOR, Role.COMPLIANCE_ADMIN):
        batches = batches.filter(created_by=request.user.pk)
    return batches


@login_required
def batch(request: HttpRequest) -> HttpResponse:
    form = BatchForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = screening.create_batch(
                actor=request.user,  # type: ignore[arg-type]
                csv_text=form.cleaned_data["file"],
                filename=str(getattr(request.FILES.get("file"), "name", "") or ""),
            )
        except ValueError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("compliance:batch-detail", pk=job.pk)
    batches = _own_batches(request).defer("input_csv", "result_csv")[:20]
    return render(request, "compliance/batch.html", {"form": form, "batches": batches})


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_own_batches(request).defer("input_csv", "result_csv"), pk=pk)
    return render(request, "compliance/batch_detail.html", {"job": job})


@login_required
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(_own_batches(request).defer("input_csv", "result_csv"), pk=pk)
    return JsonResponse({**screening.batch_progress(job), "progress": [screening.batch_progress_item(job)]})


@login_required
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_own_batches(request), pk=pk, status=BatchScreening.Status.DONE)
    response = HttpResponse(job.result_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="screening-batch-{job.pk}.csv"'
    return response


@role_required(Role.COMPLIANCE_ADMIN)
def settings_page(request: HttpRequest) -> HttpResponse:
    config = ScreeningConfig.load()
    form = ThresholdForm(request.POST or None, initial={"threshold": config.threshold})
    if request.method == "POST" and form.is_valid():
        screening.set_threshold(
            actor=request.user, threshold=form.cleaned_data["threshold"], reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Threshold set to {form.cleaned_data['threshold']:.2f}.")
        return redirect("compliance:settings")
    return _settings(request, config, form=form)


def _settings(
    request: HttpRequest,
    config: ScreeningConfig,
    *,
    form: ThresholdForm | None = None,
    clearance_form: ClearanceSettingsForm | None = None,
) -> HttpResponse:
    history = config.history.select_related("history_user").order_by("-history_date")[:20]
    context = {
        "form": form or ThresholdForm(initial={"threshold": config.threshold}),
        "clearance_form": clearance_form
        or ClearanceSettingsForm(
            initial={
                "clearance_review_days": config.clearance_review_days,
                "remember_under_denial": config.remember_under_denial,
            }
        ),
        "config": config,
        "history": history,
    }
    return render(request, "compliance/settings.html", context)


@require_POST
@role_required(Role.COMPLIANCE_ADMIN)
def clearance_settings(request: HttpRequest) -> HttpResponse:
    form = ClearanceSettingsForm(request.POST)
    if not form.is_valid():
        return _settings(request, ScreeningConfig.load(), clearance_form=form)
    screening.set_clearance_policy(
        actor=request.user,
        review_days=form.cleaned_data["clearance_review_days"],
        remember_under_denial=form.cleaned_data["remember_under_denial"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, "Remembered-clearance settings saved.")
    return redirect("compliance:settings")
