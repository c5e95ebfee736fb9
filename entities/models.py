"""The restricted-party list as the official lists describe it, and its numbered versions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from entities.records import identity_digest


class EntityType(models.TextChoices):
    ENTITY = "entity", "Entity"
    INDIVIDUAL = "individual", "Individual"
    VESSEL = "vessel", "Vessel"
    AIRCRAFT = "aircraft", "Aircraft"


class LicensePolicy(models.TextChoices):
    """Normalised licence review policy; the source's own words stay in `license_policy_text`."""

    # Ordered from strictest to most lenient: `STRICTNESS` below relies on it.
    POLICY_OF_DENIAL = "policy_of_denial", "Policy of denial"
    PRESUMPTION_OF_DENIAL = "presumption_of_denial", "Presumption of denial"
    CASE_BY_CASE = "case_by_case", "Case-by-case review"
    OTHER = "other", "Other (see source text)"
    NONE = "none", "None stated"


# Lower is stricter; a request with several hits shows the strictest policy among them.
STRICTNESS: dict[str, int] = {choice.value: rank for rank, choice in enumerate(LicensePolicy)}


class EntityQuerySet(models.QuerySet["Entity"]):
    def active(self) -> EntityQuerySet:
        return self.filter(delisted_on__isnull=True)

    def delisted(self) -> EntityQuerySet:
        return self.filter(delisted_on__isnull=False)


class ListVersion(models.Model):
    """One numbered change of the list: an import or a single edit, recorded in its transaction."""

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        CREATE = "create", "Entity added"
        EDIT = "edit", "Entity edited"
        DELIST = "delist", "Entity delisted"

    number = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    source_file = models.CharField(max_length=500, blank=True)
    # The source lists an import was authoritative for (e.g. ["EL", "SDN"]).
    sources = models.JSONField(default=list, blank=True)
    added_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"

    @classmethod
    def current_number(cls) -> int:
        latest = cls.objects.order_by("-number").values_list("number", flat=True).first()
        return latest or 0


class Entity(models.Model):
    key = models.CharField(
        max_length=400, unique=True, help_text="Stable key matching this record across list versions."
    )
    source = models.CharField(max_length=16, db_index=True, help_text="Short code of the source list, e.g. EL.")
    source_name = models.CharField(max_length=200, blank=True)
    source_id = models.CharField(max_length=100, blank=True, db_index=True)
    entity_number = models.CharField(max_length=100, blank=True)
    entity_type = models.CharField(max_length=16, choices=EntityType.choices, default=EntityType.ENTITY)
    name = models.CharField(max_length=500, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    programs = models.JSONField(default=list, blank=True)
    federal_register_notice = models.TextField(blank=True, help_text="Federal Register citations.")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="End date given by the source list.")
    standard_order = models.CharField(max_length=20, blank=True)
    license_requirement = models.TextField(blank=True)
    license_policy = models.CharField(max_length=32, choices=LicensePolicy.choices, default=LicensePolicy.NONE)
    license_policy_text = models.TextField(blank=True)
    remarks = models.TextField(blank=True)
    call_sign = models.CharField(max_length=100, blank=True)
    vessel_type = models.CharField(max_length=100, blank=True)
    gross_tonnage = models.CharField(max_length=100, blank=True)
    gross_registered_tonnage = models.CharField(max_length=100, blank=True)
    vessel_flag = models.CharField(max_length=100, blank=True)
    vessel_owner = models.CharField(max_length=500, blank=True)
    citizenships = models.JSONField(default=list, blank=True)
    nationalities = models.JSONField(default=list, blank=True)
    dates_of_birth = models.JSONField(default=list, blank=True)
    places_of_birth = models.JSONField(default=list, blank=True)
    ids = models.JSONField(default=list, blank=True)
    source_list_url = models.CharField(max_length=500, blank=True)
    source_information_url = models.CharField(max_length=500, blank=True)
    # Delisting end-dates a record instead of deleting it: past decisions must stay replayable.
    delisted_on = models.DateField(null=True, blank=True, db_index=True)
    delisted_reason = models.TextField(blank=True)
    # Digest of the record's content (aliases and addresses included): a re-import compares
    # digests instead of every field, which keeps a no-op re-import of 14,000 records fast.
    content_hash = models.CharField(max_length=64, blank=True)
    first_version = models.ForeignKey(ListVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_version = models.ForeignKey(ListVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # An entry a Compliance admin added by hand (say from a Federal Register notice published
    # before the next official file). An import of its source that carries the same party merges
    # into it and clears this; one that does not leaves it listed and says so below, for an admin
    # to decide: nothing is delisted without a person or an official file saying so.
    added_by_hand = models.BooleanField(default=False)
    not_in_source_since = models.ForeignKey(
        ListVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The import of its source list that first did not carry this hand-added entry.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.delisted_on is None

    @property
    def countries(self) -> list[str]:
        return sorted({a.country for a in self.addresses.all() if a.country})

    def identity_hash(self) -> str:
        """What a reviewer's clearance of a hit on this entity rests on (`identity_digest`).

        Reads aliases and addresses: prefetch them when hashing many entities.
        """
        return identity_digest(
            self.name,
            (a.name for a in self.aliases.all()),
            ((a.address, a.city, a.state, a.postal_code, a.country) for a in self.addresses.all()),
        )


class Alias(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=500)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "aliases"

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="addresses")
    address = models.TextField(blank=True, help_text="The address as the source wrote it.")
    city = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=2, blank=True, db_index=True, help_text="ISO 3166-1 alpha-2.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return self.address or self.country


class ListVersionChange(models.Model):
    """What one version did to one entity; re-screening reads these to screen only the delta."""

    class Change(models.TextChoices):
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        REMOVED = "removed", "Removed"

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="changes")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="version_changes")
    change = models.CharField(max_length=8, choices=Change.choices)
    changed_fields = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "entity"], name="one_change_per_entity_per_version")]
        ordering = ["version", "id"]

    def __str__(self) -> str:
        return f"{self.change} entity {self.entity_id} in version {self.version_id}"


def _import_upload_to(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.token}/{filename}"


class ImportJob(models.Model):
    """A list file uploaded in the browser and imported in the background, with its progress.

    The list change itself is recorded as a ListVersion; this row is the upload's progress and
    outcome. The file of an import that changed the list is kept IMPORT_FILE_RETENTION_DAYS for
    audit, then purged; a failed import's file, which changed nothing, is purged as soon as the
    job ends, and a dry run's once it is applied (copied into the import that applies it) or after
    IMPORT_DRY_RUN_FILE_HOURS, whichever comes first. The SHA-256 of every uploaded file outlives the file, so a copy
    kept elsewhere can still be shown to be the one imported.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=_import_upload_to, max_length=500)
    # OFAC's legacy format is three files; they are stored beside `file` (the sdn file).
    alt_file = models.FileField(upload_to=_import_upload_to, max_length=500, blank=True)
    add_file = models.FileField(upload_to=_import_upload_to, max_length=500, blank=True)
    fmt = models.CharField("format", max_length=16, blank=True, help_text="Empty: detected from the file.")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    stage = models.CharField(max_length=40, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    version_number = models.PositiveIntegerField(null=True, blank=True)
    added_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    file_digests = models.JSONField(
        default=dict, blank=True, help_text="SHA-256 of each uploaded file by its stored name; kept after the purge."
    )
    files_purged_at = models.DateTimeField(null=True, blank=True, help_text="When the uploaded files were deleted.")
    # An import started from a dry run's result ("apply this file"): the previewed file, imported
    # without a second upload, with the pairings the admin rejected on the preview.
    applied_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="applied_as"
    )
    rejected_pairings = models.JSONField(
        default=list, blank=True, help_text="Pairings (removed row > added key) an admin ruled are not one entry."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    # The error of a failure that was not the file's fault (a busy database, a lost worker):
    # the file is kept and the import may be retried from it.
    UNEXPECTED_FAILURE = "The import failed unexpectedly; nothing was changed."

    @property
    def retryable(self) -> bool:
        return self.status == self.Status.FAILED and self.error == self.UNEXPECTED_FAILURE and not self.files_purged_at

    @property
    def changed_the_list(self) -> bool:
        return self.status == self.Status.DONE and not self.dry_run

    @property
    def files_kept_until(self) -> datetime | None:
        """When the daily purge deletes the files of this job (None while it runs or once purged)."""
        if self.files_purged_at is not None or self.finished_at is None:
            return None
        if self.dry_run:
            return self.finished_at + timedelta(hours=settings.IMPORT_DRY_RUN_FILE_HOURS)
        return self.finished_at + timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)

    @property
    def can_be_applied(self) -> bool:
        """A finished dry run whose file is still here and that nobody has applied yet."""
        return (
            self.dry_run
            and self.status == self.Status.DONE
            and self.files_purged_at is None
            and not ImportJob.objects.filter(applied_from=self).exists()
        )

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else None


class ListSource(models.Model):
    """An official list file fetched on a schedule (by Celery beat) and imported when it changes.

    A fetch that fails, a file that cannot be parsed, or one that would delist more than
    `max_removed_share` of the source's entries (a truncated download looks like that) changes
    nothing: the source shows the error, admins are e-mailed, and an admin may approve that one
    file by hand (`approved_checksum`).
    """

    class Format(models.TextChoices):
        CSL_CSV = "csl-csv", "CSL CSV"
        CSL_JSON = "csl-json", "CSL JSON"

    class Status(models.TextChoices):
        NEW = "new", "Not fetched yet"
        IMPORTED = "imported", "Imported"
        UNCHANGED = "unchanged", "Unchanged"
        FAILED = "failed", "Failed"
        HELD = "held", "Held for approval"

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(max_length=1000)
    fmt = models.CharField("format", max_length=16, choices=Format.choices)
    every_minutes = models.PositiveIntegerField(default=24 * 60, help_text="How often to fetch it.")
    enabled = models.BooleanField(default=True)
    max_removed_share = models.FloatField(
        default=0.2, help_text="A file that would delist more than this share of the source's entries is held."
    )
    notify = models.TextField(blank=True, help_text="Extra e-mail addresses told of failures, one per line.")
    # What the last fetch saw: conditional-request validators and the file's SHA-256.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_version_number = models.PositiveIntegerField(null=True, blank=True)
    held_checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file held for approval.")
    approved_checksum = models.CharField(max_length=64, blank=True, help_text="A held file an admin approved.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_due(self, now: datetime) -> bool:
        return self.enabled and (
            self.last_checked_at is None or now - self.last_checked_at >= timedelta(minutes=self.every_minutes)
        )
