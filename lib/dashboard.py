"""The numbers behind the dashboards: each series is one aggregate query, never a loop over rows.

Charts are drawn server-side as SVG by pygal (installed with pip), so a dashboard needs no
JavaScript, no CDN and prints as it shows; every chart comes with its numbers as a table too,
for screen readers and for auditors who want the figures rather than the picture.

Each figure is cached for DASHBOARD_CACHE_SECONDS under a key naming who may see it (everyone who
reads all requests, one salesperson, one reviewer), and the page says as of when they were counted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar

import pygal
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import Avg, Case, Count, DurationField, ExpressionWrapper, F, Min, Q, Sum, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.html import escape
from pygal.style import Style
from redis.exceptions import RedisError

from entities.models import ListVersion
from lib.roles import Role, roles_of

logger = logging.getLogger(__name__)

ChartKind = Literal["bar", "stacked", "line"]
WEEKS = 12
# Part of every cache key: bump it when a cached value changes shape, so entries pickled by the
# previous release are not read back by this one.
CACHE_NAMESPACE = "dashboard:v1"
T = TypeVar("T")

# The stylesheet's palette, so charts read as part of the page (and stay legible when printed).
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1d2530",
    foreground_strong="#1d2530",
    foreground_subtle="#5b6675",
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    colors=("#1f5fbf", "#9a6700", "#b3261e", "#1e7b34", "#6f42c1", "#5b6675", "#0b7285"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    x_labels: list[str]
    series: dict[str, list[float]]
    kind: ChartKind = "stacked"
    unit: str = ""
    empty_message: str = "Nothing to show yet."

    @property
    def is_empty(self) -> bool:
        return not any(value for values in self.series.values() for value in values)

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        """The chart as a table: one row per x label, one column per series."""
        return [(label, [values[i] for values in self.series.values()]) for i, label in enumerate(self.x_labels)]

    def svg(self) -> str:
        # Many people look at the same numbers (the queue, the list's changes): drawing is the
        # dashboard's main cost, so identical charts are drawn once per process.
        spec = json.dumps([self.kind, self.title, self.unit, self.x_labels, self.series], sort_keys=True)
        return _render_svg(spec)


@lru_cache(maxsize=256)
def _render_svg(spec: str) -> str:
    kind, title, unit, x_labels, series = json.loads(spec)
    chart_class = {"bar": pygal.Bar, "stacked": pygal.StackedBar, "line": pygal.Line}[kind]
    chart = chart_class(
        style=CHART_STYLE,
        width=720,
        height=320,
        js=[],  # pygal's default tooltips script comes from a CDN: air-gapped sites have none
        disable_xml_declaration=True,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=min(len(series), 4) or 1,
        x_label_rotation=30 if len(x_labels) > 6 else 0,
        print_values=False,
        min_scale=2,
        max_scale=8,
        value_formatter=(lambda v: f"{v:g}{unit}"),
    )
    chart.x_labels = x_labels
    for name, values in series.items():
        chart.add(name, values)
    chart.add_xml_filter(_drawing_only)
    svg: str = chart.render(is_unicode=True)
    # Name the picture for assistive technology; the table beside it holds the numbers.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


def _drawing_only(root: Any) -> Any:
    """Drop what pygal adds for its JavaScript tooltips, which the dashboards never load.

    pygal always embeds its settings as an inline <script> and hides the empty tooltip with a
    style attribute; the Content-Security-Policy (script-src 'self', no inline style attributes)
    would refuse both, and neither draws anything. The chart's own <style> stays: the dashboard
    template gives it the request's CSP nonce.
    """
    for node in list(root.iter("script")):
        node.getparent().remove(node)
    for node in list(root.iter("g")):
        if "tooltip-overlay" in (node.get("class") or "").split():
            node.getparent().remove(node)
    for node in root.iter():
        node.attrib.pop("style", None)
    return root


@dataclass
class Dashboard:
    charts: list[Chart] = field(default_factory=list)
    tables: dict[str, object] = field(default_factory=dict)
    # When the oldest figure shown was counted: figures come from a cache and may be a little old.
    as_of: datetime | None = None

    def add(self, key: str, compute: Callable[[], T]) -> T:
        """A figure from the cache (or counted now), the page's as-of time moved back to match."""
        value, counted_at = cached_figure(key, compute)
        self.as_of = counted_at if self.as_of is None else min(self.as_of, counted_at)
        return value


def cached_figure(key: str, compute: Callable[[], T]) -> tuple[T, datetime]:
    """The figure cached under `key` with when it was counted, or `compute()` cached now.

    The key must name everyone the figure may be shown to (see build_dashboard). Figures expire
    after DASHBOARD_CACHE_SECONDS rather than on every change: requests are filed and decided
    all day, and invalidating on each write would leave little cached when the load is high;
    the page prints the as-of time instead. A cache that cannot be reached costs the queries,
    never the page.
    """
    timeout = settings.DASHBOARD_CACHE_SECONDS
    full_key = f"{CACHE_NAMESPACE}:{key}"
    if timeout > 0:
        try:
            hit: tuple[T, datetime] | None = cache.get(full_key)
        except RedisError:
            logger.warning("dashboard cache unreachable; counting %s afresh", key, exc_info=True)
            hit = None
        if hit is not None:
            return hit
    entry = (compute(), timezone.now())
    if timeout > 0:
        try:
            cache.set(full_key, entry, timeout)
        except RedisError:
            logger.warning("dashboard cache unreachable; %s not cached", key, exc_info=True)
    return entry


def week_starts(*, weeks: int = WEEKS, today: date | None = None) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first (the current week included)."""
    today = today or timezone.localdate()
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _week_key(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def weekly_series(
    rows: Iterable[Mapping[str, Any]], *, weeks: Sequence[date], group: str | None, value: str, groups: Sequence[str]
) -> dict[str, list[float]]:
    """Spread aggregate rows ({"week", group, value}) over fixed weeks, zero where a week has none."""
    index = {week: i for i, week in enumerate(weeks)}
    series = {name: [0.0] * len(weeks) for name in groups}
    for row in rows:
        week = _week_key(row["week"])
        name = str(row[group]) if group else groups[0]
        if week in index and name in series:
            series[name][index[week]] += float(row[value] or 0)
    return series


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def week_labels(weeks: Sequence[date]) -> list[str]:
    return [week.strftime("%d %b") for week in weeks]


# --- Compliance admins: the list and what changing it set off ------------------------------------


def list_versions_over_time(*, weeks: int = WEEKS) -> Chart:
    starts = week_starts(weeks=weeks)
    rows = (
        ListVersion.objects.filter(created_at__gte=_start_of(starts[0]))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(added=Sum("added_count"), changed=Sum("changed_count"), removed=Sum("removed_count"))
        .order_by("week")
    )
    series = {"Added": [0.0] * weeks, "Changed": [0.0] * weeks, "Removed": [0.0] * weeks}
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(_week_key(row["week"]))
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
    from compliance.models import RescreenJob

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
    from compliance.models import RescreenJob

    starts = week_starts(weeks=weeks)
    rows = (
        RescreenJob.objects.filter(created_at__gte=_start_of(starts[0]))
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(jobs=Count("id"), new_hits=Sum("new_hits"))
        .order_by("week")
    )
    series = {"Re-screens": [0.0] * weeks, "New hits found": [0.0] * weeks}
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(_week_key(row["week"]))
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


# --- Everyone: requests by status, decisions over time (Sales see only their own) ---------------


def requests_by_status(user: User | AnonymousUser) -> Chart:
    from licensing.models import Application
    from licensing.status import Status

    counts = dict(
        Application.objects.for_user(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return Chart(
        key="requests-by-status",
        title="Requests by status",
        description="Every licence request you may see, by where it stands now.",
        x_labels=[str(status.label) for status in Status],
        series={"Requests": [float(counts.get(status.value, 0)) for status in Status]},
        kind="bar",
        empty_message="No licence requests yet.",
    )


APPROVED_WITH_CONDITIONS = "Approved with conditions"


def decisions_over_time(user: User | AnonymousUser, *, weeks: int = WEEKS) -> Chart:
    from licensing.models import Application, Decision

    starts = week_starts(weeks=weeks)
    outcome = Case(
        When(outcome=Decision.Outcome.APPROVED, conditions="", then=Value(str(Decision.Outcome.APPROVED.label))),
        When(outcome=Decision.Outcome.APPROVED, then=Value(APPROVED_WITH_CONDITIONS)),
        When(outcome=Decision.Outcome.DENIED, then=Value(str(Decision.Outcome.DENIED.label))),
        default=Value(str(Decision.Outcome.RETURNED.label)),
    )
    rows = (
        Decision.objects.filter(
            application__in=Application.objects.for_user(user).values("pk"), decided_at__gte=_start_of(starts[0])
        )
        .annotate(week=TruncWeek("decided_at"), label=outcome)
        .order_by()
        .values("week", "label")
        .annotate(n=Count("id"))
    )
    groups = [
        str(Decision.Outcome.APPROVED.label),
        APPROVED_WITH_CONDITIONS,
        str(Decision.Outcome.DENIED.label),
        str(Decision.Outcome.RETURNED.label),
    ]
    return Chart(
        key="decisions",
        title="Decisions per week",
        description="Decisions on the requests you may see, by outcome and week.",
        x_labels=week_labels(starts),
        series=weekly_series(rows, weeks=starts, group="label", value="n", groups=groups),
        empty_message="No decisions in the last weeks.",
    )


# --- Reviewers: the queue by age and status, and their own turnaround ---------------------------

AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("Under 1 day", timedelta(days=1)),
    ("1-3 days", timedelta(days=3)),
    ("3-7 days", timedelta(days=7)),
    ("1-2 weeks", timedelta(days=14)),
    ("Over 2 weeks", None),
)


def queue_by_age(*, now: datetime | None = None) -> Chart:
    """Open requests by how long ago they were submitted, split by status."""
    from licensing.models import Application
    from licensing.status import OPEN_STATUSES, Status

    now = now or timezone.now()
    bucket = Case(
        *[When(submitted_at__gt=now - limit, then=Value(label)) for label, limit in AGE_BUCKETS if limit is not None],
        default=Value(AGE_BUCKETS[-1][0]),
    )
    rows = (
        Application.objects.open().annotate(bucket=bucket).order_by().values("bucket", "status").annotate(n=Count("id"))
    )
    labels = [label for label, _ in AGE_BUCKETS]
    series = {str(Status(status).label): [0.0] * len(labels) for status in OPEN_STATUSES}
    for row in rows:
        series[str(Status(row["status"]).label)][labels.index(str(row["bucket"]))] += row["n"]
    return Chart(
        key="queue-age",
        title="Review queue by age",
        description="Open requests by time since submission and by status: the oldest need a look first.",
        x_labels=labels,
        series=series,
        empty_message="The queue is empty.",
    )


def turnaround(reviewer: User | AnonymousUser, *, weeks: int = WEEKS) -> Chart:
    """A reviewer's own decisions per week and the average days from submission to decision."""
    from licensing.models import Decision

    starts = week_starts(weeks=weeks)
    took = ExpressionWrapper(F("decided_at") - F("application__submitted_at"), output_field=DurationField())
    rows = (
        Decision.objects.filter(decided_by=reviewer.pk, decided_at__gte=_start_of(starts[0]))
        .annotate(week=TruncWeek("decided_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("id"), took=Avg(took))
    )
    decided = [0.0] * weeks
    days = [0.0] * weeks
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(_week_key(row["week"]))
        if i is not None:
            decided[i] = float(row["n"])
            days[i] = round(row["took"].total_seconds() / 86400, 1) if row["took"] else 0.0
    return Chart(
        key="turnaround",
        title="Your turnaround",
        description="Requests you decided each week, and the average days each had waited since submission.",
        x_labels=week_labels(starts),
        series={"Decided": decided, "Average days to decide": days},
        kind="line",
        empty_message="You have not decided any request in the last weeks.",
    )


def reviewer_figures(reviewer: User | AnonymousUser) -> list[tuple[str, object]]:
    from licensing.models import Application

    now = timezone.now()
    open_cases = Application.objects.open().aggregate(
        total=Count("id"),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        mine=Count("id", filter=Q(assigned_to=reviewer.pk)),
        attention=Count("id", filter=Q(needs_attention=True)),
        oldest=Min("submitted_at"),
    )
    oldest = open_cases["oldest"]
    return [
        ("Open requests", open_cases["total"]),
        ("Not yet assigned", open_cases["unassigned"]),
        ("Assigned to you", open_cases["mine"]),
        ("Need attention", open_cases["attention"]),
        ("Oldest waiting", f"{(now - oldest).days} days" if oldest else "—"),
    ]


# --- Putting it together per role ----------------------------------------------------------------


def build_dashboard(user: User | AnonymousUser) -> Dashboard:
    """The figures the user's roles may see, each cached under a key naming who may see it.

    The role checks below run on every request and decide which figures are shown; the keys
    decide who shares a cached figure. Figures about the whole queue or the whole list are
    shared by everyone shown them; figures about requests are shared only within a visibility
    scope (all requests, or one salesperson's); a reviewer's own figures are theirs alone.
    """
    from licensing.models import visibility_scope

    roles = roles_of(user)
    dashboard = Dashboard()
    me = f"user:{user.pk}"
    if Role.REVIEWER in roles:
        dashboard.tables["figures"] = dashboard.add(f"figures:{me}", lambda: reviewer_figures(user))
        dashboard.charts.append(dashboard.add("queue-age", queue_by_age))
        dashboard.charts.append(dashboard.add(f"turnaround:{me}", lambda: turnaround(user)))
    if roles:
        scope = visibility_scope(user)
        dashboard.charts.append(dashboard.add(f"requests-by-status:{scope}", lambda: requests_by_status(user)))
        dashboard.charts.append(dashboard.add(f"decisions:{scope}", lambda: decisions_over_time(user)))
        exports = [("Decisions (CSV)", "export_decisions")]
        if roles & {Role.REVIEWER, Role.AUDITOR, Role.COMPLIANCE_ADMIN}:
            exports.append(("The restricted list (CSV)", "export_list"))
        dashboard.tables["exports"] = exports
    if roles & {Role.COMPLIANCE_ADMIN, Role.AUDITOR}:
        dashboard.charts.append(dashboard.add("list-versions", list_versions_over_time))
        dashboard.charts.append(dashboard.add("rescreens", rescreens_over_time))
        dashboard.tables["recent_versions"] = dashboard.add("recent-versions", recent_versions)
    return dashboard
