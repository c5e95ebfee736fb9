"""Working days: weekends and the configured public holidays (settings.HOLIDAYS) do not count.

Internal review targets and reminders are set in working days; a question asked on a Friday is
not "three days old" on Monday.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings


def holidays() -> frozenset[date]:
    """The configured holidays (ISO dates in settings.HOLIDAYS)."""
    return frozenset(date.fromisoformat(day) for day in settings.HOLIDAYS)


def is_working_day(day: date, off: frozenset[date] | None = None) -> bool:
    off = holidays() if off is None else off
    return day.weekday() < 5 and day not in off


def working_days_between(start: date, end: date, off: frozenset[date] | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
    off = holidays() if off is None else off
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, off)
    return count


def add_working_days(start: date, days: int, off: frozenset[date] | None = None) -> date:
    """The day `days` working days after `start`."""
    off = holidays() if off is None else off
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        left -= is_working_day(day, off)
    return day
