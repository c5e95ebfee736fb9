"""Screening configuration, hits and re-screening state."""

from __future__ import annotations

from datetime import datetime

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


class RescreenJobQuerySet(models.QuerySet["RescreenJob"]):
    def unfinished(self) -> RescreenJobQuerySet:
        return self.filter(status__in=[RescreenJob.Status.PENDING, RescreenJob.Status.RUNNING])

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

    A chunk is either a slice of open-case parties (full jobs) or a few list entities (delta
    jobs): fixed when the job is planned, so every worker that runs it does the same work.
    Full jobs list their parties' ids in `party_ids`; chunks planned before that field existed
    hold an id range instead.
    """

    class Action(models.TextChoices):
        PARTIES = "parties", "Screen parties against the list"
        ENTITIES = "entities", "Screen listed entities against open parties"
        DELISTED = "delisted", "Resolve hits on removed entities"

    job = models.ForeignKey(RescreenJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    first_party_id = models.BigIntegerField(null=True, blank=True)
    last_party_id = models.BigIntegerField(null=True, blank=True)
    party_ids = models.JSONField(default=list, blank=True)
    entity_ids = models.JSONField(default=list, blank=True)
    done = models.BooleanField(default=False)
    hits_found = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_chunk_per_index_per_job")]

    def __str__(self) -> str:
        return f"chunk {self.index} of job {self.job_id}"


class HitQuerySet(models.QuerySet["Hit"]):
    def unresolved(self) -> HitQuerySet:
        """Hits that still weigh on a request: open (not reviewed yet) or confirmed."""
        return self.filter(status__in=[Hit.Status.OPEN, Hit.Status.CONFIRMED])

    def awaiting_acknowledgement(self) -> HitQuerySet:
        """Hits a list change resolved (entity delisted, or no longer matching) that no reviewer has seen."""
        return self.filter(status__in=HIT_AWAITING_ACKNOWLEDGEMENT)


class Hit(models.Model):
    """One licence-request party matching one listed entity, stamped with how it was found.

    Unique per (party, entity): screening the same pair again updates the row, so a re-screen
    that runs twice records each hit once, and a reviewer's clearance is remembered until the
    party or the entity changes (`party_fingerprint`, `entity_hash`).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLEARED = "cleared", "Cleared (false positive)"
        CONFIRMED = "confirmed", "Confirmed"
        DELISTED = "delisted", "Entity delisted"
        UNMATCHED = "unmatched", "No longer matches"
        ACKNOWLEDGED = "acknowledged", "List change acknowledged"

    class Action(models.TextChoices):
        CLEAR = "clear", "clear"
        CONFIRM = "confirm", "confirm"
        DELIST = "delist", "resolve as delisted"
        UNMATCH = "unmatch", "resolve as no longer matching"
        ACKNOWLEDGE = "acknowledge", "acknowledge"
        REOPEN = "reopen", "reopen"

    party = models.ForeignKey("licensing.Party", on_delete=models.CASCADE, related_name="hits")
    entity = models.ForeignKey("entities.Entity", on_delete=models.PROTECT, related_name="hits")
    score = models.FloatField()
    matched_name = models.CharField(max_length=500)
    explanation = models.JSONField(default=dict, blank=True)
    # The entity's licence requirement and review policy as they stood when the hit was found.
    license_requirement = models.TextField(blank=True)
    license_policy = models.CharField(max_length=32, blank=True)
    license_policy_text = models.TextField(blank=True)
    list_version = models.PositiveIntegerField(null=True, blank=True)
    threshold = models.FloatField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    rationale = models.TextField(blank=True)
    # Why a list change resolved the hit without a reviewer (delisted, or no longer matching),
    # in the system's words; kept after a reviewer acknowledges it, cleared when the hit reopens.
    resolution = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    party_fingerprint = models.CharField(max_length=64)
    entity_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = HitQuerySet.as_manager()

    class Meta:
        ordering = ["party", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["party", "entity"], name="one_hit_per_party_and_entity")]

    def __str__(self) -> str:
        return f"{self.matched_name} ({self.score:.2f}, {self.status})"

    def transition(self, action: str) -> str:
        """Move to the status the table gives for `action`; IllegalTransition if there is none."""
        from licensing.status import IllegalTransition

        try:
            self.status = HIT_TRANSITIONS[(self.status, action)]
        except KeyError:
            done = HIT_ACTIONS_DONE.get(action, action)
            raise IllegalTransition(f"A hit marked “{self.get_status_display()}” cannot be {done}.") from None
        return self.status

    def can(self, action: str) -> bool:
        return (self.status, action) in HIT_TRANSITIONS

    @property
    def reviewable(self) -> bool:
        """A reviewer may clear or confirm it (the case page shows the form)."""
        return self.can(Hit.Action.CLEAR)

    @property
    def awaits_acknowledgement(self) -> bool:
        return self.can(Hit.Action.ACKNOWLEDGE)

    @property
    def license_policy_label(self) -> str:
        from entities.models import LicensePolicy

        return str(dict(LicensePolicy.choices).get(self.license_policy, self.license_policy or "None stated"))


HS, HA = Hit.Status, Hit.Action

# The hit status machine: (from, action) -> to. Anything absent is an illegal move.
HIT_TRANSITIONS: dict[tuple[str, str], str] = {
    # A reviewer's verdict; a reviewer may change their mind while the request is open.
    **{(status, HA.CLEAR): HS.CLEARED for status in (HS.OPEN, HS.CLEARED, HS.CONFIRMED)},
    **{(status, HA.CONFIRM): HS.CONFIRMED for status in (HS.OPEN, HS.CLEARED, HS.CONFIRMED)},
    # A list change resolves only hits nobody has ruled on: a reviewer's verdict is theirs to keep.
    (HS.OPEN, HA.DELIST): HS.DELISTED,
    (HS.OPEN, HA.UNMATCH): HS.UNMATCHED,
    # A hit the list change took away still needs a reviewer's look before the case is approved.
    (HS.DELISTED, HA.ACKNOWLEDGE): HS.ACKNOWLEDGED,
    (HS.UNMATCHED, HA.ACKNOWLEDGE): HS.ACKNOWLEDGED,
    # Screening finds the pair again (relisted, matching again, or party or entity changed).
    **{(status, HA.REOPEN): HS.OPEN for status in HS if status != HS.OPEN},
}

HIT_ACTIONS_DONE: dict[str, str] = {
    HA.CLEAR: "cleared",
    HA.CONFIRM: "confirmed",
    HA.DELIST: "resolved as delisted",
    HA.UNMATCH: "resolved as no longer matching",
    HA.ACKNOWLEDGE: "acknowledged",
    HA.REOPEN: "reopened",
}

# Resolved by a list change and not yet acknowledged: approval waits for a reviewer's look.
HIT_AWAITING_ACKNOWLEDGEMENT: tuple[str, ...] = tuple(
    status for (status, action) in HIT_TRANSITIONS if action == HA.ACKNOWLEDGE
)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def needing_send(self, *, enqueued_before: datetime, max_attempts: int) -> NotificationQuerySet:
        """Unsent e-mails the sweeper must hand to a worker again.

        Never enqueued (the broker was down at commit) or enqueued longer ago than a send takes
        (the worker died between commit and send, or the message was lost with Redis).
        """
        return self.filter(
            models.Q(enqueued_at__isnull=True) | models.Q(enqueued_at__lt=enqueued_before),
            sent_at__isnull=True,
            created_at__lt=enqueued_before,
            attempts__lt=max_attempts,
        )


class Notification(models.Model):
    """An e-mail outbox row, written in the transaction that gives cause to send it.

    A rolled-back transaction leaves no row, so nothing is sent; a committed one is sent by a
    task enqueued after commit, or by the sweeper if that task never ran. `sent_at` is set in the
    transaction that holds the row's lock while sending, so a second run of the task finds it
    sent and sends nothing. `key` says what the e-mail is about; a second write of the same
    e-mail (a chunk run twice) is the same row.
    """

    key = models.CharField(max_length=200, unique=True)
    application = models.ForeignKey(
        "licensing.Application", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} ({'sent' if self.sent_at else 'unsent'})"
