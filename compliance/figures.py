"""Re-screening's figures for the dashboards: what each list change set off."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek

from compliance.models import RescreenJob
from entities.models import ListVersion
from lib.dashboard import WEEKS, Chart, Dashboard, start_of, week_key, week_labels, week_starts


def recent_versions(*, limit: int = 10) -> list[dict[str, object]]:
    """The latest list versions with who made them and what they changed."""
    rows = ListVersion.objects.order_by("-number").values(
        "number",
        "kind",
        "created_at",
        "created_by__username",
        "reason",
        "added_count",
        "changed_count",
        "removed_count",
    )[:limit]
    versions: list[dict[str, object]] = [dict(row) for row in rows]
    triggered = rescreens_by_version([int(str(version["number"])) for version in versions])
    for version in versions:
        number = int(str(version["number"]))
        version["kind_label"] = ListVersion.Kind(str(version["kind"])).label
        version["rescreens"] = triggered.get(number)
    return versions


def rescreens_by_version(numbers: Sequence[int]) -> dict[int, dict[str, object]]:
    """What re-screening each list version set off: jobs, parties screened, new hits, state."""
    rows = (
        RescreenJob.objects.filter(list_version__in=numbers)
        .values("list_version")
        .annotate(
            jobs=Count("id"),
            parties=Sum("parties_screened"),
            new_hits=Sum("new_hits"),
            unfinished=Count("id", filter=Q(status__in=[RescreenJob.Status.PENDING, RescreenJob.Status.RUNNING])),
            failed=Count("id", filter=Q(status=RescreenJob.Status.FAILED)),
        )
    )
    return {int(row["list_version"]): dict(row) for row in rows if row["list_version"] is not None}


def rescreens_over_time(*, weeks: int = WEEKS) -> Chart:
    starts = week_starts(weeks=weeks)
    rows = (
        RescreenJob.objects.filter(created_at__gte=start_of(starts[0]))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(jobs=Count("id"), new_hits=Sum("new_hits"))
        .order_by("week")
    )
    series = {"Re-screens": [0.0] * weeks, "New hits found": [0.0] * weeks}
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(week_key(row["week"]))
        if i is not None:
            series["Re-screens"][i] += row["jobs"] or 0
            series["New hits found"][i] += row["new_hits"] or 0
    return Chart(
        key="rescreens",
        title="Re-screens per week",
        description="Re-screens of open cases triggered by list changes (or run in full), and the new hits they found.",
        x_labels=week_labels(starts),
        series=series,
        kind="bar",
        empty_message="No re-screens in the last weeks.",
    )


def fill_dashboard(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Compliance admins and auditors: re-screens per week, and the latest list versions."""
    dashboard.charts.append(dashboard.add("rescreens", rescreens_over_time))
    dashboard.tables["recent_versions"] = dashboard.add("recent-versions", recent_versions)
