"""Screening configuration, hits and re-screening state."""

from __future__ import annotations

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
