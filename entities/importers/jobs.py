"""Browser uploads: store the file, import it in a Celery task, and show its progress."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Collection
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils import timezone

from entities.importers.common import ImportFormatError
from entities.importers.service import import_list
from entities.models import ImportJob, ListVersion
from lib.errors import Conflict

logger = logging.getLogger(__name__)


@transaction.atomic
def start_import_job(
    *,
    actor: User,
    file: UploadedFile,
    fmt: str = "",
    dry_run: bool = False,
    alt_file: UploadedFile | None = None,
    add_file: UploadedFile | None = None,
) -> ImportJob:
    """Store an uploaded list file and queue its import once the upload is committed."""
    from entities.tasks import run_import_job

    job = ImportJob(created_by=actor, filename=file.name or "upload", fmt=fmt, dry_run=dry_run)
    if fmt == "ofac-sdn":
        # The OFAC parser finds the alt and add files beside the sdn file by name.
        file.name, job.filename = "sdn.csv", f"{file.name} (OFAC sdn, alt, add)"
        if alt_file is not None:
            alt_file.name = "alt.csv"
            job.alt_file = alt_file  # type: ignore[assignment]
        if add_file is not None:
            add_file.name = "add.csv"
            job.add_file = add_file  # type: ignore[assignment]
    job.file = file  # type: ignore[assignment]
    job.file_digests = {upload.name: _sha256(upload) for upload in (file, alt_file, add_file) if upload is not None}
    job.save()
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


class PreviewNotApplicable(Conflict):
    """A dry run that cannot be applied (any more); the message says why."""


@transaction.atomic
def apply_dry_run(*, actor: User, job: ImportJob, rejected_pairings: Collection[str] = ()) -> ImportJob:
    """Import the file a dry run previewed, without a second upload ("apply this file").

    The preview was computed against the list as it stood then; if the list changed since, what
    the admin saw is no longer what would happen, so they preview again. Each dry run is applied
    once: a second click finds it applied. `rejected_pairings` are the pairings the admin ruled
    are not one entry (`entities.importers.pairing`); they import as a removal and an addition.
    """
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.dry_run or job.status != ImportJob.Status.DONE:
        raise PreviewNotApplicable("Only a finished dry run can be applied.")
    applied = ImportJob.objects.filter(applied_from=job).first()
    if applied is not None:
        raise PreviewNotApplicable(f"This dry run was already applied (import {applied.pk}).")
    if job.files_purged_at is not None:
        raise PreviewNotApplicable("This dry run's file has been deleted; upload it again.")
    previewed_on = job.result.get("based_on_version")
    if previewed_on is not None and previewed_on != ListVersion.current_number():
        raise PreviewNotApplicable(
            f"The list changed since this preview (version {previewed_on}, now {ListVersion.current_number()}): "
            "run the dry run again to see what the file would do now."
        )
    offered = {str(pairing["token"]) for pairing in job.result.get("paired", [])}
    applying = ImportJob(
        created_by=actor,
        filename=job.filename,
        fmt=job.fmt,
        dry_run=False,
        applied_from=job,
        rejected_pairings=sorted(set(rejected_pairings) & offered),
        file_digests=job.file_digests,
    )
    # A copy of its own: the applied file is kept for audit, the preview's goes with the preview.
    for name in ("file", "alt_file", "add_file"):
        stored = getattr(job, name)
        if stored.name:
            with stored.open("rb") as handle:
                getattr(applying, name).save(PurePosixPath(stored.name).name, File(handle), save=False)
    applying.save()
    transaction.on_commit(lambda: _run_async(applying.pk))
    transaction.on_commit(lambda: _purge_quietly(job))
    return applying


def _run_async(job_id: int) -> None:
    from entities.tasks import run_import_job

    run_import_job.delay(job_id)


def _purge_quietly(job: ImportJob) -> None:
    try:
        purge_job_files(job)
    except OSError:
        logger.exception("could not delete the files of import job %s; the daily purge retries", job.pk)


def run_job(job_id: int) -> ImportJob:
    """Run one queued import; a job already started (a redelivered task) is left alone."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), stage="Reading"
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job
    reporter = _ProgressReporter(job.pk)
    try:
        result = import_list(
            actor=job.created_by,
            path=Path(job.file.path),
            fmt=job.fmt or None,
            dry_run=job.dry_run,
            progress=reporter.report,
            display_name=job.filename,
            rejected_pairings=job.rejected_pairings,
        )
    except ImportFormatError as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except Exception:
        logger.exception("import job %s failed", job_id)
        job.status, job.error = ImportJob.Status.FAILED, ImportJob.UNEXPECTED_FAILURE
    else:
        job.status = ImportJob.Status.DONE
        job.version_number = result.version_number
        job.added_count, job.changed_count = result.added, result.changed
        job.removed_count, job.unchanged_count = result.removed, result.unchanged
        job.summary = result.summary()
        job.result = result.as_dict()
    finally:
        reporter.close()
    job.finished_at = timezone.now()
    job.stage = ""
    job.save()
    if job.status == ImportJob.Status.FAILED and not job.retryable:
        # A refused file changed nothing: its file has nothing to prove, so it goes now. A file
        # whose import failed for another reason (the database was busy, the worker died) is kept
        # until the retention purge, so the admin can retry without uploading it again; a dry
        # run's stays a while, so the admin can apply it from the preview.
        try:
            purge_job_files(job)
        except OSError:
            logger.exception("could not delete the files of import job %s; the daily purge retries", job.pk)
    return job


def retry_job(*, actor: User, job: ImportJob) -> ImportJob:
    """Run a failed import again from the file it kept (the admin does not upload it again)."""
    from entities.tasks import run_import_job

    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.FAILED, files_purged_at__isnull=True
        ).update(status=ImportJob.Status.PENDING, error="", stage="", started_at=None, finished_at=None)
        if not claimed:
            raise ValueError("Only a failed import whose file is still kept can be retried.")
        logger.warning("import job %s retried by %s", job.pk, actor.get_username())
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    job.refresh_from_db()
    return job


def live_progress(job: ImportJob) -> tuple[str, int, int]:
    """(stage, done, total) of a job: from the cache while an SQLite import runs, else its row."""
    cached: tuple[str, int, int] | None = cache.get(_progress_key(job.pk)) if not job.finished else None
    return cached or (job.stage, job.progress_done, job.progress_total)


def _progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def purge_job_files(job: ImportJob) -> ImportJob:
    """Delete a finished job's uploaded files and record when; its summary and digests stay."""
    if not job.finished:
        raise ValueError(f"import job {job.pk} is still {job.status}: its files are in use")
    storage = job.file.storage
    names = [stored.name for stored in (job.file, job.alt_file, job.add_file) if stored.name]
    for name in names:
        storage.delete(name)  # a file already gone is no error
    for folder in {str(PurePosixPath(name).parent) for name in names}:
        _remove_empty_folder(storage, folder)
    job.files_purged_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(files_purged_at=job.files_purged_at)
    return job


def _remove_empty_folder(storage: Storage, folder: str) -> None:
    # Each upload has a folder of its own (imports/<token>/); FileSystemStorage leaves it behind.
    if not isinstance(storage, FileSystemStorage):
        return
    with contextlib.suppress(OSError):  # not empty, or already gone
        Path(storage.path(folder)).rmdir()


def purge_import_files(*, now: datetime | None = None) -> list[int]:
    """Delete the files of imports that finished more than IMPORT_FILE_RETENTION_DAYS ago.

    The list version records what an import changed and the job keeps each file's SHA-256; the
    raw file is kept only for the retention period. Idempotent: a purged job is skipped.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    preview_cutoff = now - timedelta(hours=settings.IMPORT_DRY_RUN_FILE_HOURS)
    due = (
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED], files_purged_at__isnull=True
        )
        .filter(Q(finished_at__lt=cutoff) | Q(dry_run=True, finished_at__lt=preview_cutoff))
        .order_by("finished_at")
    )
    purged: list[int] = []
    for job in due:
        try:
            purge_job_files(job)
        except OSError:
            logger.exception("could not delete the files of import job %s; tomorrow's purge retries", job.pk)
        else:
            purged.append(job.pk)
    return purged


class _ProgressReporter:
    """Writes progress on its own autocommit connection.

    The import writes in one transaction; progress written through that connection would stay
    invisible to the page polling it until the very end. SQLite has one writer at a time, and
    the import holds the lock: a second connection's write would wait for the import to end and
    then fail it ("database is locked"). There progress goes to the cache instead (`make run`
    is one process, whose threads share the in-memory cache).
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.connection: BaseDatabaseWrapper | None = None

    def report(self, stage: str, done: int, total: int) -> None:
        now = timezone.now().timestamp()
        if now - self.last < 0.5 and done != total:
            return
        self.last = now
        if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
            cache.set(_progress_key(self.job_id), (stage, done, total), timeout=3600)
            return
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE entities_importjob SET stage = %s, progress_done = %s, progress_total = %s WHERE id = %s",
                [stage, done, total, self.job_id],
            )

    def close(self) -> None:
        cache.delete(_progress_key(self.job_id))
        if self.connection is not None:
            self.connection.close()
