"""Browser uploads: store the file, import it in a Celery task, and show its progress."""

from __future__ import annotations

import logging
from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from entities.importers.common import ImportFormatError
from entities.importers.service import import_list
from entities.models import ImportJob

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
    job.save()
    transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job


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
        )
    except ImportFormatError as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except Exception:
        logger.exception("import job %s failed", job_id)
        job.status, job.error = ImportJob.Status.FAILED, "The import failed unexpectedly; nothing was changed."
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
    return job


class _ProgressReporter:
    """Writes progress on its own autocommit connection.

    The import writes in one transaction; progress written through that connection would stay
    invisible to the page polling it until the very end.
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
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE entities_importjob SET stage = %s, progress_done = %s, progress_total = %s WHERE id = %s",
                [stage, done, total, self.job_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
