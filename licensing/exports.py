"""What auditors ask for of cases: a case file (printable HTML, or PDF) and a CSV of decisions.

Every export reads through the same visibility rules as the pages (`Application.objects.for_user`),
so Sales export only their own decisions and a forged id of someone else's case is a 404.
Exports are reads: they change nothing, and each one is served with no-store so a shared
workstation's cache does not keep a case file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from io import BytesIO
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lib.csv_export import csv_response
from lib.permissions import role_required
from lib.roles import Role
from licensing.models import Application, CaseNote, Decision, Hit, Licence, Party, Question, SignOff, sees_internal
from licensing.timeline import build_timeline

ALL_ROLES = tuple(Role)


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def explanation_lines(explanation: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A matcher explanation (or a determination) as readable label/value pairs.

    Lists of words read as "a; b", anything nested as compact JSON, so nothing is left out.
    """
    lines: list[tuple[str, str]] = []
    explanation = explanation or {}
    for key, value in explanation.items():
        if f"{key}_label" in explanation:
            continue  # a coded value prints as its words, under its own name
        if key.endswith("_label") and key.removesuffix("_label") in explanation:
            key = key.removesuffix("_label")
        if value is None or value == "":
            text = "—"
        elif isinstance(value, str):
            text = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = "; ".join(value) or "—"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        lines.append((_label(key), text))
    return lines


def case_file_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    application = get_object_or_404(
        Application.objects.for_user(request.user).select_related("applicant", "assigned_to"), pk=pk
    )
    parties = list(application.parties.all())
    hits = list(
        Hit.objects.filter(party__application=application)
        .select_related("party", "entity", "reviewed_by")
        .order_by("party_id", "-score", "id")
    )
    decision = Decision.objects.select_related("decided_by", "countersigned_by").filter(application=application).first()
    licence = Licence.objects.filter(application=application).first()
    return {
        "application": application,
        "parties": parties,
        "items": list(application.items.all()),
        "documents": list(application.documents.all()),
        "sign_offs": list(
            SignOff.objects.filter(application=application).select_related("proposed_by", "countersigned_by")
        ),
        "notes": list(
            CaseNote.objects.visible_to(request.user)
            .filter(application=application)
            .select_related("author")
            .prefetch_related("mentioned")
        ),
        "questions": list(
            Question.objects.filter(application=application)
            .select_related("asked_by", "replied_by")
            .prefetch_related("documents")
        ),
        "hits": [{"hit": hit, "lines": explanation_lines(hit.explanation)} for hit in hits],
        "decision": decision,
        "licence": licence,
        "balances": licence.balances() if licence else [],
        "shipments": list(licence.shipments.select_related("consignee", "recorded_by").prefetch_related("lines__item"))
        if licence
        else [],
        "timeline": build_timeline(application, internal=sees_internal(request.user)),
        "determination": explanation_lines(application.determination),
        "generated_at": timezone.now(),
        "generated_by": request.user,
    }


@require_GET
@never_cache
@role_required(*ALL_ROLES)
def case_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole case on one printable page: request, screening with explanations, decision, timeline."""
    return HttpResponse(render_to_string("exports/case_file.html", case_file_context(request, pk), request=request))


@require_GET
@never_cache
@role_required(*ALL_ROLES)
def case_file_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same case file as a PDF (xhtml2pdf: pure Python, nothing to install on the server)."""
    from xhtml2pdf import pisa

    from lib.pdf_fonts import resource_policy, with_script_fonts

    context = case_file_context(request, pk)
    html = with_script_fonts(render_to_string("exports/case_file_pdf.html", context, request=request))
    buffer = BytesIO()
    result = pisa.CreatePDF(html, dest=buffer, encoding="utf-8", resource_policy=resource_policy())
    if result.err:  # pragma: no cover - xhtml2pdf reports, it does not raise
        return HttpResponse("The PDF could not be produced; use the printable page.", status=500)
    reference = context["application"].reference or f"request-{pk}"
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-file-{reference}.pdf"'
    return response


def _party_cell(party: Party) -> str:
    where = f" ({party.country})" if party.country else ""
    return f"{party.get_role_display()}: {party.name}{where}"


@require_GET
@never_cache
@role_required(*ALL_ROLES)  # type: ignore[arg-type]  # role_required is typed for HttpResponse only
def decisions_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every decision the user may read (Sales: on their own requests), newest first; `from` and
    `to` (YYYY-MM-DD, both included) keep those decided in a period, as an auditor asks for."""
    decisions = (
        Decision.objects.filter(application__in=Application.objects.for_user(request.user).values("pk"))
        .select_related("application", "application__applicant", "decided_by", "application__licence")
        .prefetch_related("application__parties", "application__items")
        .order_by("-decided_at", "-id")
    )
    period: list[str] = []
    for name, lookup in (("from", "decided_at__date__gte"), ("to", "decided_at__date__lte")):
        value = request.GET.get(name, "").strip()
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return HttpResponse(f"“{value}” is not a date: write it as YYYY-MM-DD.", status=400)
        decisions = decisions.filter(**{lookup: day})
        period.append(f"{name}-{day:%Y-%m-%d}")
    header = [
        "reference",
        "applicant",
        "type",
        "destination_country",
        "total_value",
        "submitted_at",
        "outcome",
        "with_conditions",
        "conditions",
        "rationale",
        "override_reason",
        "decided_by",
        "decided_at",
        "parties",
        "eccns",
        "licence_number",
        "licence_status",
        "licence_valid_until",
        "list_version_screened",
    ]

    def rows() -> Iterator[list[Any]]:
        for d in decisions.iterator(chunk_size=500):
            app = d.application
            licence = getattr(app, "licence", None)
            yield [
                app.reference,
                app.applicant.get_username(),
                app.get_type_display(),
                app.destination_country,
                app.total_value,
                app.submitted_at.isoformat() if app.submitted_at else "",
                d.get_outcome_display(),
                "yes" if d.conditions else "no",
                d.conditions,
                d.rationale,
                d.override_reason,
                d.decided_by.get_username(),
                d.decided_at.isoformat(),
                "; ".join(_party_cell(p) for p in app.parties.all()),
                " ".join(sorted({item.eccn for item in app.items.all() if item.eccn})),
                licence.number if licence else "",
                licence.get_status_display() if licence else "",
                licence.valid_until.isoformat() if licence else "",
                app.last_screened_version or "",
            ]

    name = "-".join(["decisions", *period]) if period else f"decisions-{timezone.localdate():%Y-%m-%d}"
    return csv_response(f"{name}.csv", header, rows())
