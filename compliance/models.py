"""Screening configuration, hits and re-screening state."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from compliance.matcher import DEFAULT_THRESHOLD


class ScreeningConfig(models.Model):
    """The one screening threshold (a singleton row), changeable by Compliance admins.

    Every screening result stamps the threshold it used, so a later change never rewrites the past.
    """

    threshold = models.FloatField(default=0.0, help_text="Score in [0, 1] at or above which a name is a hit.")
    # Bumped whenever the matcher's scoring changes meaning, so a full re-screen can be triggered.
    matcher_version = models.CharField(max_length=32, default="1")
    # Remembered clearances (a reviewer's "false positive, remember this"): how long one stands
    # before a person must look again, and whether one may be made on a hit whose entity is under
    # a presumption or policy of denial (off by default: those hits deserve a fresh look each time).
    clearance_review_days = models.PositiveIntegerField(
        default=365, help_text="Days a remembered clearance stands before it must be reviewed (1 to 3650)."
    )
    remember_under_denial = models.BooleanField(
        default=False,
        help_text="Allow remembering a clearance on a hit under a presumption or policy of denial.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"threshold {self.threshold:.2f}"

    @classmethod
    def load(cls) -> ScreeningConfig:
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


class RescreenJobQuerySet(models.QuerySet["RescreenJob"]):
    def needing_enqueue(self, *, pending_before: datetime, heartbeat_before: datetime) -> RescreenJobQuerySet:
        """Jobs the sweeper must hand to a worker again.

        Pending ones whose enqueue never reached the broker (or was lost with it), and running
        ones whose worker stopped beating (killed, or its message lost with Redis).
        """
        never_started = models.Q(status=RescreenJob.Status.PENDING) & (
            models.Q(enqueued_at__isnull=True) | models.Q(enqueued_at__lt=pending_before)
        )
        stalled = models.Q(status=RescreenJob.Status.RUNNING) & (
            models.Q(heartbeat_at__isnull=True) | models.Q(heartbeat_at__lt=heartbeat_before)
        )
        return self.filter((never_started | stalled) & models.Q(created_at__lt=pending_before))


class RescreenJob(models.Model):
    """The outbox row of one re-screen: written in the list change's transaction, then worked.

    A delta job screens what one list version added, changed or removed; a full job screens every
    open case against the whole list (threshold or matcher change, nightly, or an admin's request).
    """

    class Kind(models.TextChoices):
        DELTA = "delta", "Changes of one list version"
        FULL = "full", "Everything"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    list_version = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Stamped when the job is planned: the threshold every chunk of the job screens with.
    threshold = models.FloatField(null=True, blank=True)
    total_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    hits_found = models.PositiveIntegerField(default=0)
    new_hits = models.PositiveIntegerField(default=0)
    delisted_hits = models.PositiveIntegerField(default=0)
    # Open hits on changed entities that no longer match (resolved for a reviewer to acknowledge).
    unmatched_hits = models.PositiveIntegerField(default=0)
    parties_screened = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # A failed job waits for a Compliance admin; each retry is counted and attributed.
    retries = models.PositiveIntegerField(default=0)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retried_at = models.DateTimeField(null=True, blank=True)

    objects = RescreenJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"re-screen {self.pk} ({self.kind}, v{self.list_version}, {self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return 0 if not self.total_chunks else int(100 * self.done_chunks / self.total_chunks)


class RescreenChunk(models.Model):
    """One unit of a job's work; `done` flips once, so a redelivered chunk does nothing.

    A chunk is either a slice of open-case parties (full jobs, `party_ids`) or a few list
    entities (delta jobs, `entity_ids`): fixed when the job is planned, so every worker that runs
    it does the same work. `attempts` counts deliveries, `error` keeps the last failure.
    """

    class Action(models.TextChoices):
        PARTIES = "parties", "Screen parties against the list"
        ENTITIES = "entities", "Screen listed entities against open parties"
        DELISTED = "delisted", "Resolve hits on removed entities"

    job = models.ForeignKey(RescreenJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    party_ids = models.JSONField(default=list, blank=True)
    entity_ids = models.JSONField(default=list, blank=True)
    done = models.BooleanField(default=False)
    hits_found = models.PositiveIntegerField(default=0)
    # Hits this chunk opened for a reviewer: announced together when the whole job is done, so
    # a list change sends each person one e-mail, however many chunks found its cases.
    new_hit_ids = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_chunk_per_index_per_job")]

    def __str__(self) -> str:
        return f"chunk {self.index} of job {self.job_id}"
