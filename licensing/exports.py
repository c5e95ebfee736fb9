"""What auditors ask for of cases: a case file (printable HTML, or PDF) and a CSV of decisions.

Every export reads through the same visibility rules as the pages (`Application.objects.for_user`),
so Sales export only their own decisions and a forged id of someone else's case is a 404.
Exports are reads: they change nothing, and each one is served with no-store so a shared
workstation's cache does not keep a case file.
"""

from __future__ import annotations

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


def why_in_words(explanation: dict[str, Any] | None) -> str:
    """Why a hit matched, as one sentence a reader can check: the names compared, the words that
    paired up, and what the country and address did to the score."""
    e = explanation or {}
    if not e:
        return "No explanation was recorded."
    alias = " (an alias)" if e.get("matched_is_alias") else ""
    parts = [f"“{e.get('query_normalised', e.get('query', ''))}” against “{e.get('matched_normalised', '')}”{alias}"]
    pairs = [
        f"{t['query']} ~ {t['name']}" + ("" if float(t.get("score", 1)) >= 0.999 else f" ({float(t['score']):.2f})")
        for t in e.get("token_matches") or []
    ]
    if pairs:
        parts.append("words paired: " + ", ".join(pairs))
    left = e.get("unmatched_query_tokens") or []
    if left:
        parts.append("unpaired: " + ", ".join(left))
    country = e.get("country") or {}
    if isinstance(country, dict) and country.get("note"):
        parts.append(f"country: {country['note']}")
    address = e.get("address") or {}
    if isinstance(address, dict) and address.get("shared_words"):
        parts.append("address shares " + ", ".join(address["shared_words"]))
    return "; ".join(parts) + "."


def _timeline_for_the_record(application: Application, *, internal: bool) -> list[dict[str, Any]]:
    """The timeline as the case file prints it: each rationale once (the event's reason already
    quotes it), and a hit's field-by-field changes left to the hit's own line above."""
    rows = []
    for event in build_timeline(application, internal=internal):
        is_hit = event.subject.startswith("Hit:")
        rationale = "" if event.rationale and event.rationale in event.reason else event.rationale
        rows.append(
            {
                "when": event.when,
                "actor": event.actor,
                "what": f"{event.subject} {event.action}",
                "reason": event.reason,
                "rationale": rationale,
                "changes": [] if is_hit else event.changes,
            }
        )
    return rows


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
        "hits": [{"hit": hit, "why": why_in_words(hit.explanation)} for hit in hits],
        "decision": decision,
        "licence": licence,
        "balances": licence.balances() if licence else [],
        "shipments": list(licence.shipments.select_related("consignee", "recorded_by").prefetch_related("lines__item"))
        if licence
        else [],
        "timeline": _timeline_for_the_record(application, internal=sees_internal(request.user)),
        "determination": application.determination or {},
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
