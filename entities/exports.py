"""The restricted-party list as a CSV, for auditors and reviewers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from entities.models import Entity, ListVersion
from lib.csv_export import csv_response
from lib.permissions import role_required
from lib.roles import Role

LIST_READERS = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)


@require_GET
@never_cache
@role_required(*LIST_READERS)  # type: ignore[arg-type]  # role_required is typed for HttpResponse only
def list_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The restricted-party list as it stands, delisted entries included and marked, in CSL-like columns."""
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
    return csv_response(f"restricted-list-v{version}.csv", header, rows())
