"""What auditors ask for: a case file (printable HTML, or PDF) and CSV exports of decisions and the list.

Every export reads through the same visibility rules as the pages (`Application.objects.for_user`),
so Sales export only their own decisions and a forged id of someone else's case is a 404.
Exports are reads: they change nothing, and each one is served with no-store so a shared
workstation's cache does not keep a case file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from io import BytesIO
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lib.permissions import role_required
from lib.roles import Role

LIST_READERS = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)
ALL_ROLES = tuple(Role)


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def explanation_lines(explanation: dict[str, Any] | None) -> list[tuple[str, str]]:
    """A matcher explanation (or a determination) as readable label/value pairs.

    Lists of words read as "a; b", anything nested as compact JSON, so nothing is left out.
    """
    lines: list[tuple[str, str]] = []
    for key, value in (explanation or {}).items():
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
    from compliance.models import Hit
    from licensing.models import Application, Decision, Licence
    from licensing.timeline import build_timeline

    application = get_object_or_404(
        Application.objects.for_user(request.user).select_related("applicant", "assigned_to"), pk=pk
    )
    parties = list(application.parties.all())
    hits = list(
        Hit.objects.filter(party__application=application)
        .select_related("party", "entity", "reviewed_by")
        .order_by("party_id", "-score", "id")
    )
    decision = Decision.objects.select_related("decided_by").filter(application=application).first()
    licence = Licence.objects.filter(application=application).first()
    return {
        "application": application,
        "parties": parties,
        "items": list(application.items.all()),
        "documents": list(application.documents.all()),
        "hits": [{"hit": hit, "lines": explanation_lines(hit.explanation)} for hit in hits],
        "decision": decision,
        "licence": licence,
        "timeline": build_timeline(application),
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

    context = case_file_context(request, pk)
    html = render_to_string("exports/case_file_pdf.html", context, request=request)
    buffer = BytesIO()
    result = pisa.CreatePDF(html, dest=buffer, encoding="utf-8")
    if result.err:  # pragma: no cover - xhtml2pdf reports, it does not raise
        return HttpResponse("The PDF could not be produced; use the printable page.", status=500)
    reference = context["application"].reference or f"request-{pk}"
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-file-{reference}.pdf"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    # Streamed: the full list is ~15,000 rows and must not be built in memory for every export.
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a BOM so spreadsheet programs read the UTF-8 names correctly
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _safe_cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a cell must never start with = + - @."""
    text = "" if value is None else str(value)
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


@require_GET
@never_cache
@role_required(*ALL_ROLES)  # type: ignore[arg-type]  # role_required is typed for HttpResponse only
def decisions_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every decision the user may read (Sales: on their own requests), newest first."""
    from licensing.models import Application, Decision

    decisions = (
        Decision.objects.filter(application__in=Application.objects.for_user(request.user).values("pk"))
        .select_related("application", "application__applicant", "decided_by", "application__licence")
        .order_by("-decided_at", "-id")
    )
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
        "licence_number",
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
                licence.number if licence else "",
                licence.valid_until.isoformat() if licence else "",
                app.last_screened_version or "",
            ]

    return _csv_response(f"decisions-{timezone.localdate():%Y-%m-%d}.csv", header, rows())


@require_GET
@never_cache
@role_required(*LIST_READERS)  # type: ignore[arg-type]  # role_required is typed for HttpResponse only
def list_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The restricted-party list as it stands, delisted entries included and marked, in CSL-like columns."""
    from entities.models import Entity, ListVersion

    # Aliases and addresses come in by prefetch per chunk (3 queries per 2,000 rows), which
    # works on SQLite for `make run` as well as on PostgreSQL.
    entities = (
        Entity.objects.order_by("source", "name", "id")
        .select_related("first_version", "last_version")
        .prefetch_related("aliases", "addresses")
    )
    header = [
        "id",
        "source",
        "entity_number",
        "type",
        "name",
        "alt_names",
        "countries",
        "programs",
        "license_requirement",
        "license_policy",
        "license_policy_text",
        "federal_register_notice",
        "start_date",
        "delisted_on",
        "delisted_reason",
        "first_version",
        "last_version",
    ]

    def rows() -> Iterator[list[Any]]:
        for e in entities.iterator(chunk_size=2000):
            yield [
                e.pk,
                e.source,
                e.entity_number,
                e.entity_type,
                e.name,
                "; ".join(a.name for a in e.aliases.all()),
                "; ".join(sorted({a.country for a in e.addresses.all() if a.country})),
                "; ".join(e.programs or []),
                e.license_requirement,
                e.get_license_policy_display(),
                e.license_policy_text,
                e.federal_register_notice,
                e.start_date.isoformat() if e.start_date else "",
                e.delisted_on.isoformat() if e.delisted_on else "",
                e.delisted_reason,
                e.first_version.number if e.first_version else "",
                e.last_version.number if e.last_version else "",
            ]

    version = ListVersion.current_number()
    return _csv_response(f"restricted-list-v{version}.csv", header, rows())
