"""Dashboards: charts, cached figures, and the panels each app contributes.

Each app owns its figures (`<app>/figures.py`: every series is one aggregate query, never a loop
over rows) and registers the panels it shows, for which roles, in its `AppConfig.ready()`; this
module draws and caches them and puts one person's dashboard together. It imports no app.

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
from django.utils import timezone
from django.utils.html import escape
from pygal.style import Style
from redis.exceptions import RedisError

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


def week_key(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def weekly_series(
    rows: Iterable[Mapping[str, Any]], *, weeks: Sequence[date], group: str | None, value: str, groups: Sequence[str]
) -> dict[str, list[float]]:
    """Spread aggregate rows ({"week", group, value}) over fixed weeks, zero where a week has none."""
    index = {week: i for i, week in enumerate(weeks)}
    series = {name: [0.0] * len(weeks) for name in groups}
    for row in rows:
        week = week_key(row["week"])
        name = str(row[group]) if group else groups[0]
        if week in index and name in series:
            series[name][index[week]] += float(row[value] or 0)
    return series


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def week_labels(weeks: Sequence[date]) -> list[str]:
    return [week.strftime("%d %b") for week in weeks]


# --- Panels: what each app shows, and to whom ------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """Part of a dashboard: `fill` adds an app's charts and tables for a user holding one of `roles`."""

    order: int
    roles: frozenset[Role]
    fill: Callable[[Dashboard, User | AnonymousUser], None]


_panels: list[Panel] = []


def register_panel(
    *, order: int, roles: Iterable[Role], fill: Callable[[Dashboard, User | AnonymousUser], None]
) -> None:
    """Called from an app's `ready()`; panels show in `order`."""
    _panels.append(Panel(order=order, roles=frozenset(roles), fill=fill))
    _panels.sort(key=lambda panel: panel.order)


def build_dashboard(user: User | AnonymousUser) -> Dashboard:
    """The panels the user's roles may see; each figure cached under a key naming who may see it.

    The role checks run on every request and decide which figures are shown; the panels' keys
    decide who shares a cached figure. Figures about the whole queue or the whole list are
    shared by everyone shown them; figures about requests are shared only within a visibility
    scope (all requests, or one salesperson's); a reviewer's own figures are theirs alone.
    """
    roles = roles_of(user)
    dashboard = Dashboard()
    for panel in _panels:
        if roles & panel.roles:
            panel.fill(dashboard, user)
    return dashboard
