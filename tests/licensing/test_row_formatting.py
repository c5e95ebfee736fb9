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
