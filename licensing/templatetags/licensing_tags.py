"""Small pieces the request pages repeat on every row.

They are tags rather than `{% include %}`s and Django's `date` filter because the queue and
"my requests" render them fifty times a page: an include costs a template lookup and a context
push per row, and `date` goes through the locale machinery for a format that never changes.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from licensing import rescreening
from licensing.models import Application, Licence
from licensing.status import LicenceStatus

register = template.Library()

# Stands in for the id when a URL pattern is reversed once; any id the int converter takes.
_ID = 987654321


@lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str) -> str:
    # Keyed by the script prefix too, which `reverse` reads from the request being served.
    return reverse(name, args=[_ID]).replace(str(_ID), "{}")


@register.simple_tag
def row_url(name: str, pk: int) -> str:
    """`{% url name pk %}` for a page that links every row: reversed once per process, not per row."""
    return _url_pattern(name, get_script_prefix()).format(int(pk))


# The badge colour of each status; the rest are plain.
STATUS_TONE = {
    "approved": " ok",
    "denied": " danger",
    "on_hold": " warn",
    "returned": " warn",
    "awaiting_applicant": " warn",
}


@register.simple_tag
def status_badge(application: Application) -> SafeString:
    """The request's status and, once a licence is issued and not in force, the licence's: an
    approved request whose licence is on hold, revoked or used up is not a green "Approved"."""
    licence_status = _licence_status(application)
    if licence_status and licence_status != LicenceStatus.ACTIVE:
        label = f"{application.get_status_display()} · licence {LicenceStatus(licence_status).label.lower()}"
        tone = " danger" if licence_status == LicenceStatus.REVOKED else " warn"
        return format_html('<span class="badge{}">{}</span>', tone, label)
    return format_html(
        '<span class="badge{}">{}</span>', STATUS_TONE.get(application.status, ""), application.get_status_display()
    )


def _licence_status(application: Application) -> str | None:
    # Lists annotate it (`with_licence_status`); a single request's page reads it once.
    if hasattr(application, "licence_status"):
        return application.licence_status  # type: ignore[no-any-return]
    if application.pk is None or not application.is_decided:
        return None
    return Licence.objects.filter(application=application).values_list("status", flat=True).first()


@register.filter(expects_localtime=True)
def stamp(value: datetime | None, empty: str = "—") -> str:
    """A date and time as the pages write them (2026-11-28 14:05), or `empty` when there is none."""
    if value is None:
        return empty
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d %H:%M")


@register.filter(expects_localtime=True)
def waiting(value: datetime | None) -> str:
    """How long ago, in the largest whole unit: "3 days", "5 hours", "12 minutes"."""
    if value is None:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "just now"


@register.inclusion_tag("licensing/_screened_against.html")
def screened_against(application: Application) -> dict[str, Any]:
    """`{% screened_against application %}`: the list version a case was last screened against."""
    return {"screening": rescreening.screened_against(application)}
