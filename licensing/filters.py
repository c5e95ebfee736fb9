"""Queue filters and sorting, shared by the review queue page and the API list."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from lib.roles import Role
from licensing.models import Application, ApplicationQuerySet, Hit, Party
from licensing.status import OPEN_STATUSES, Status

HITS_CHOICES = [
    ("open", "With open hits"),
    ("any", "With any hit"),
    ("none", "Without hits"),
    ("confirmed", "With confirmed hits"),
]
ORDERING = (
    ("submitted_at", "submitted_at"),
    ("total_value", "total_value"),
    ("destination_country", "destination_country"),
    ("status", "status"),
    ("open_hit_count", "open_hits"),
    ("created_at", "created_at"),
    ("target_date", "due"),
)


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        help_text="Reference, party name or listed entity name; searches every status unless one is chosen.",
        max_length=200,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        label="Status",
        help_text="None chosen: the open requests, or every status when searching.",
        widget=forms.SelectMultiple(attrs={"size": 4}),
        # A status is a column of the request itself, so no join can repeat a row: without this,
        # django-filter's default DISTINCT makes PostgreSQL count hits for every open request
        # before it can sort and take one page.
        distinct=False,
    )
    destination = django_filters.CharFilter(
        field_name="destination_country", lookup_expr="iexact", label="Destination", help_text="ISO code, e.g. CN."
    )
    hits = django_filters.ChoiceFilter(choices=HITS_CHOICES, method="filter_hits", label="Hits")
    min_age_days = django_filters.NumberFilter(
        method="filter_min_age",
        label="Waiting at least (days)",
        help_text="Days since submission.",
        min_value=0,
        max_value=36500,
    )
    min_value = django_filters.NumberFilter(
        field_name="total_value", lookup_expr="gte", label="Value at least", max_digits=16, decimal_places=2
    )
    max_value = django_filters.NumberFilter(
        field_name="total_value", lookup_expr="lte", label="Value at most", max_digits=16, decimal_places=2
    )
    assigned = django_filters.ChoiceFilter(
        choices=[("me", "Assigned to me"), ("nobody", "Unassigned")], method="filter_assigned", label="Assignment"
    )
    due = django_filters.ChoiceFilter(
        choices=[("overdue", "Overdue"), ("week", "Due within 7 days")], method="filter_due", label="Due"
    )
    assignee = django_filters.ModelChoiceFilter(
        field_name="assigned_to",
        queryset=User.objects.filter(groups__name=Role.REVIEWER.value, is_active=True).order_by("username"),
        label="Assigned reviewer",
    )
    conversation = django_filters.ChoiceFilter(
        choices=[("reply", "Reply received"), ("awaiting", "Awaiting the applicant")],
        method="filter_conversation",
        label="Questions",
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING, label="Sort by")

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_search(self, queryset: ApplicationQuerySet, name: str, value: str) -> QuerySet[Application]:
        """Requests whose reference, a party's name, or a hit's listed entity contains `value`."""
        value = value.strip()
        if not value:
            return queryset
        parties = Party.objects.filter(name__icontains=value).values("application_id")
        listed = Hit.objects.filter(entity__name__icontains=value).values("party__application_id")
        return queryset.filter(Q(reference__icontains=value) | Q(pk__in=parties) | Q(pk__in=listed))

    def filter_hits(self, queryset: ApplicationQuerySet, name: str, value: str) -> QuerySet[Application]:
        if value == "open":
            return queryset.filter(Q(open_hit_count__gt=0))
        if value == "confirmed":
            return queryset.filter(Q(confirmed_hit_count__gt=0))
        if value == "any":
            return queryset.filter(Q(hit_count__gt=0))
        if value == "none":
            return queryset.filter(Q(hit_count=0))
        return queryset

    def filter_min_age(self, queryset: ApplicationQuerySet, name: str, value: float) -> QuerySet[Application]:
        return queryset.filter(submitted_at__lte=timezone.now() - timedelta(days=float(value)))

    def filter_assigned(self, queryset: ApplicationQuerySet, name: str, value: str) -> QuerySet[Application]:
        if value == "me":
            return queryset.filter(assigned_to=self.request.user.pk if self.request else None)
        if value == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset

    def filter_conversation(self, queryset: ApplicationQuerySet, name: str, value: str) -> QuerySet[Application]:
        if value == "reply":
            return queryset.filter(reply_received_at__isnull=False).exclude(status=Status.AWAITING_APPLICANT)
        if value == "awaiting":
            return queryset.filter(status=Status.AWAITING_APPLICANT)
        return queryset

    def filter_due(self, queryset: ApplicationQuerySet, name: str, value: str) -> QuerySet[Application]:
        today = timezone.localdate()
        running = queryset.exclude(status=Status.AWAITING_APPLICANT).filter(status__in=OPEN_STATUSES)
        if value == "overdue":
            return running.filter(target_date__lt=today)
        if value == "week":
            return running.filter(target_date__gte=today, target_date__lte=today + timedelta(days=7))
        return queryset
