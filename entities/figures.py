"""The list's figures for the dashboards: how the list changed, week by week."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Sum
from django.db.models.functions import TruncWeek

from entities.models import ListVersion
from lib.dashboard import WEEKS, Chart, Dashboard, start_of, week_key, week_labels, week_starts
from lib.roles import Role, roles_of

LIST_READERS = (Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN)


def list_versions_over_time(*, weeks: int = WEEKS) -> Chart:
    starts = week_starts(weeks=weeks)
    rows = (
        ListVersion.objects.filter(created_at__gte=start_of(starts[0]))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(added=Sum("added_count"), changed=Sum("changed_count"), removed=Sum("removed_count"))
        .order_by("week")
    )
    series = {"Added": [0.0] * weeks, "Changed": [0.0] * weeks, "Removed": [0.0] * weeks}
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(week_key(row["week"]))
        if i is not None:
            series["Added"][i] += row["added"] or 0
            series["Changed"][i] += row["changed"] or 0
            series["Removed"][i] += row["removed"] or 0
    return Chart(
        key="list-versions",
        title="List changes per week",
        description="Entities added, changed and removed by every list version (imports and edits), by week.",
        x_labels=week_labels(starts),
        series=series,
        empty_message="The list has not changed in the last weeks.",
    )


def fill_dashboard(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Compliance admins and auditors see the list change; every list reader may export it."""
    if roles_of(user) & {Role.COMPLIANCE_ADMIN, Role.AUDITOR}:
        dashboard.charts.append(dashboard.add("list-versions", list_versions_over_time))
    exports = dashboard.tables.setdefault("exports", [])
    assert isinstance(exports, list)
    exports.append(("The restricted list (CSV)", "export_list"))
