"""The small formatters the request lists use on every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from licensing.templatetags.licensing_tags import stamp, status_badge, waiting


def test_stamp_writes_date_and_minute_or_a_dash() -> None:
    assert stamp(datetime(2026, 11, 28, 14, 5, 59, tzinfo=UTC)) == "2026-11-28 14:05"
    assert stamp(None) == "—"


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1, seconds=5), "1 minute"),
        (timedelta(minutes=59), "59 minutes"),
        (timedelta(hours=5, minutes=59), "5 hours"),
        (timedelta(days=1, hours=23), "1 day"),
        (timedelta(days=40), "40 days"),
    ],
)
def test_waiting_gives_the_largest_whole_unit(ago: timedelta, shown: str) -> None:
    assert waiting(timezone.now() - ago) == shown


def test_waiting_is_blank_for_a_request_not_submitted() -> None:
    assert waiting(None) == ""


@pytest.mark.parametrize(
    ("status", "html"),
    [
        ("approved", '<span class="badge ok">Approved</span>'),
        ("denied", '<span class="badge danger">Denied</span>'),
        ("on_hold", '<span class="badge warn">On hold</span>'),
        ("submitted", '<span class="badge">Submitted</span>'),
    ],
)
def test_the_status_badge_is_coloured_by_status(status: str, html: str) -> None:
    from licensing.models import Application

    assert status_badge(Application(status=status)) == html


@pytest.mark.parametrize("name", ["licensing:detail", "licensing:assign"])
def test_a_row_link_is_the_url_django_reverses(name: str) -> None:
    from django.urls import reverse

    from licensing.templatetags.licensing_tags import row_url

    for pk in (1, 42, 987654321, 10**12):
        assert row_url(name, pk) == reverse(name, args=[pk])


def test_a_row_link_follows_the_script_prefix_of_the_deployment() -> None:
    from django.urls import clear_script_prefix, set_script_prefix

    from licensing.templatetags.licensing_tags import row_url

    set_script_prefix("/clearance/")
    try:
        assert row_url("licensing:detail", 7) == "/clearance/licensing/7/"
    finally:
        clear_script_prefix()
    assert row_url("licensing:detail", 7) == "/licensing/7/"
