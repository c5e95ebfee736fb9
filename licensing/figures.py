"""Licensing's figures for the dashboards: requests, decisions, the queue and turnaround."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Avg, Case, Count, DurationField, ExpressionWrapper, F, Min, Q, Value, When
from django.db.models.functions import TruncWeek
from django.utils import timezone

from lib.dashboard import WEEKS, Chart, Dashboard, start_of, week_key, week_labels, week_starts, weekly_series
from licensing.licences import expiring_soon
from licensing.models import Application, Decision, Question, visibility_scope
from licensing.status import OPEN_STATUSES, Status

# --- Everyone: requests by status, decisions over time (Sales see only their own) ---------------


def requests_by_status(user: User | AnonymousUser) -> Chart:
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
    starts = week_starts(weeks=weeks)
    outcome = Case(
        When(outcome=Decision.Outcome.APPROVED, conditions="", then=Value(str(Decision.Outcome.APPROVED.label))),
        When(outcome=Decision.Outcome.APPROVED, then=Value(APPROVED_WITH_CONDITIONS)),
        When(outcome=Decision.Outcome.DENIED, then=Value(str(Decision.Outcome.DENIED.label))),
        default=Value(str(Decision.Outcome.RETURNED.label)),
    )
    rows = (
        Decision.objects.filter(
            application__in=Application.objects.for_user(user).values("pk"), decided_at__gte=start_of(starts[0])
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
    now = now or timezone.now()
    bucket = Case(
        *[When(submitted_at__gt=now - limit, then=Value(label)) for label, limit in AGE_BUCKETS if limit is not None],
        default=Value(AGE_BUCKETS[-1][0]),
    )
    rows = (
        Application.objects.undecided()
        .annotate(bucket=bucket)
        .order_by()
        .values("bucket", "status")
        .annotate(n=Count("id"))
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
    starts = week_starts(weeks=weeks)
    took = ExpressionWrapper(F("decided_at") - F("application__submitted_at"), output_field=DurationField())
    rows = (
        Decision.objects.filter(decided_by=reviewer.pk, decided_at__gte=start_of(starts[0]))
        .annotate(week=TruncWeek("decided_at"))
        .order_by()
        .values("week")
        .annotate(n=Count("id"), took=Avg(took))
    )
    decided = [0.0] * weeks
    days = [0.0] * weeks
    index = {week: i for i, week in enumerate(starts)}
    for row in rows:
        i = index.get(week_key(row["week"]))
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
    now = timezone.now()
    open_cases = Application.objects.undecided().aggregate(
        total=Count("id"),
        unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
        mine=Count("id", filter=Q(assigned_to=reviewer.pk)),
        attention=Count("id", filter=Q(needs_attention=True)),
        awaiting=Count("id", filter=Q(status=Status.AWAITING_APPLICANT)),
        replied=Count("id", filter=Q(reply_received_at__isnull=False) & ~Q(status=Status.AWAITING_APPLICANT)),
        oldest=Min("submitted_at"),
    )
    oldest = open_cases["oldest"]
    return [
        ("Open requests", open_cases["total"]),
        ("Not yet assigned", open_cases["unassigned"]),
        ("Assigned to you", open_cases["mine"]),
        ("Need attention", open_cases["attention"]),
        ("Awaiting the applicant", open_cases["awaiting"]),
        ("Replies received", open_cases["replied"]),
        ("Oldest waiting", f"{(now - oldest).days} days" if oldest else "—"),
    ]


def fill_reviewer_panel(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Reviewers: the queue's figures, the queue by age, and their own turnaround."""
    me = f"user:{user.pk}"
    dashboard.tables["figures"] = dashboard.add(f"figures:{me}", lambda: reviewer_figures(user))
    dashboard.charts.append(dashboard.add("queue-age", queue_by_age))
    dashboard.charts.append(dashboard.add(f"turnaround:{me}", lambda: turnaround(user)))


def fill_requests_panel(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Everyone: the requests they may read by status, their decisions, and the decisions export."""
    scope = visibility_scope(user)
    dashboard.charts.append(dashboard.add(f"requests-by-status:{scope}", lambda: requests_by_status(user)))
    dashboard.charts.append(dashboard.add(f"decisions:{scope}", lambda: decisions_over_time(user)))
    exports = dashboard.tables.setdefault("exports", [])
    assert isinstance(exports, list)
    exports.append(("Decisions (CSV)", "export_decisions"))


# --- Sales: the questions waiting for their answer ----------------------------------------------

OPEN_QUESTIONS_SHOWN = 50


def open_questions(applicant: User | AnonymousUser) -> list[dict[str, Any]]:
    """Questions reviewers asked on the applicant's requests that still wait for an answer, oldest first."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Question.objects.open()
        .filter(application__applicant=applicant.pk, application__status=Status.AWAITING_APPLICANT)
        .order_by("asked_at", "id")
        .values("id", "text", "asked_at", "application_id", "application__reference")[:OPEN_QUESTIONS_SHOWN]
    ]
    return rows


def fill_sales_panel(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Sales: the questions waiting for their answer. Not cached: it is what they must act on now."""
    dashboard.tables["open_questions"] = open_questions(user)


def fill_expiring_panel(dashboard: Dashboard, user: User | AnonymousUser) -> None:
    """Sales: their licences expiring soon, with the balance left on each; cached like every figure."""
    dashboard.tables["expiring_licences"] = dashboard.add(
        f"expiring-licences:applicant:{user.pk}", lambda: expiring_licences(user)
    )


def expiring_licences(user: User | AnonymousUser) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for licence in expiring_soon().filter(application__applicant=user.pk).order_by("valid_until", "pk")[:50]:
        rows.append(
            {
                "pk": licence.pk,
                "number": licence.number,
                "status": licence.get_status_display(),
                "valid_until": licence.valid_until,
                "remaining": "; ".join(
                    f"{b.item.eccn} {b.remaining_quantity} {b.item.unit}" for b in licence.balances()
                ),
            }
        )
    return rows
