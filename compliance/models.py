"""Screening configuration, hits and re-screening state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class ScreeningConfig(models.Model):
    """The one screening threshold (a singleton row), changeable by Compliance admins.

    Every screening result stamps the threshold it used, so a later change never rewrites the past.
    """

    threshold = models.FloatField(default=0.0, help_text="Score in [0, 1] at or above which a name is a hit.")
    # Bumped whenever the matcher's scoring changes meaning, so a full re-screen can be triggered.
    matcher_version = models.CharField(max_length=32, default="1")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"threshold {self.threshold:.2f}"

    @classmethod
    def load(cls) -> ScreeningConfig:
        from compliance.matcher import DEFAULT_THRESHOLD

        config, _ = cls.objects.get_or_create(pk=1, defaults={"threshold": DEFAULT_THRESHOLD})
        return config


class BatchScreening(models.Model):
    """One uploaded CSV of names screened in the background, with its progress and result.

    The input and the result are kept as text: batches are a few thousand rows, and keeping
    them with the row means the result, its list version and threshold are replayable together.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batch_screenings")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    list_version = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    input_csv = models.TextField()
    result_csv = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.status}, {self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.processed / self.total)
