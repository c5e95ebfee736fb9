"""Re-screen jobs and their lifecycle: written as outbox rows, planned into chunks, finished,
failed (loudly) and retried."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from compliance.models import RescreenChunk, RescreenJob, ScreeningConfig
from compliance.rescreen import stamps
from compliance.rescreen.target import screening_target
from entities.models import ListVersion, ListVersionChange
from lib import outbox
from lib.errors import Conflict
from lib.progress import progress_item as lib_progress_item
from lib.roles import Role, has_role

log = logging.getLogger(__name__)

Change = ListVersionChange.Change


class JobNotRetryable(Conflict):
    """Only a failed job can be retried; the message says what the job is instead."""


def _user(actor: AbstractBaseUser | AnonymousUser | None) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


# --- Writing jobs (the outbox) ---------------------------------------------------------------


def record_version_job(version: ListVersion) -> RescreenJob:
    """Write the delta job of a list version, inside the version's own transaction.

    Enqueued only after commit: a rolled-back change leaves neither a job nor a message.
    """
    job = RescreenJob.objects.create(
        list_version=version.number,
        kind=RescreenJob.Kind.DELTA,
        reason=f"List version {version.number} ({version.get_kind_display().lower()})"
        + (f": {version.reason}" if version.reason else ""),
        requested_by=version.created_by,
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


@transaction.atomic
def request_full_rescreen(*, actor: AbstractBaseUser | AnonymousUser | None, reason: str) -> RescreenJob:
    """Ask for every open case to be screened against the whole list, in chunks.

    A full job that has not started yet already covers a second request, so it is returned
    instead of queueing the same work twice.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why everything should be re-screened: auditors read this.")
    waiting = (
        RescreenJob.objects.select_for_update()
        .filter(kind=RescreenJob.Kind.FULL, status=RescreenJob.Status.PENDING, total_chunks=0)
        .first()
    )
    if waiting is not None:
        return waiting
    job = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL,
        list_version=ListVersion.current_number(),
        reason=reason,
        requested_by=_user(actor),
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> bool:
    """Hand a job to Celery; a broker that is down leaves it pending for the sweeper."""
    # The tasks module imports this one; the task is looked up when a job is handed over.
    from compliance.tasks import run_rescreen

    try:
        # No publish retries: a request must not hang on a dead broker, the sweeper retries.
        run_rescreen.apply_async((job_id,), retry=False)
    except Exception:
        log.warning("Could not enqueue re-screen job %s; the sweeper will retry", job_id, exc_info=True)
        return False
    RescreenJob.objects.filter(pk=job_id, status=RescreenJob.Status.PENDING).update(enqueued_at=timezone.now())
    return True


def sweep(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue jobs that never started or stalled, and carry cases' stamps forward.

    Run by Celery beat; returns the ids of the jobs sent again. Failed jobs are not sent again:
    they wait for an admin (`retry_job`).
    """
    now = now or timezone.now()
    ids = list(
        RescreenJob.objects.needing_enqueue(
            pending_before=now - timedelta(seconds=settings.RESCREEN_PENDING_GRACE_SECONDS),
            heartbeat_before=now - timedelta(seconds=settings.RESCREEN_STALL_SECONDS),
        ).values_list("pk", flat=True)
    )
    for job_id in ids:
        if enqueue(job_id):
            # A running job re-sent keeps running; touching the heartbeat stops the next sweep
            # from sending it yet again while the new message waits its turn.
            RescreenJob.objects.filter(pk=job_id, status=RescreenJob.Status.RUNNING).update(heartbeat_at=now)
    stamps.advance()
    return ids


# --- Planning, starting, finishing ----------------------------------------------------------------


def plan_job(job_id: int, *, party_chunk_size: int | None = None, entity_chunk_size: int | None = None) -> int:
    """Cut a job into chunks once; planning again returns the chunks already made."""
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.total_chunks or job.chunks.exists():
            return job.total_chunks
        chunks: list[RescreenChunk] = []
        if job.kind == RescreenJob.Kind.FULL:
            size = party_chunk_size or settings.RESCREEN_PARTY_CHUNK_SIZE
            # In name order, every subject of one name lands in one chunk, and the worker process
            # that runs it scores that name once (the index's name-stage cache). In id order the
            # same customers recur across chunks that different processes run, each scoring them
            # again: on the 100,000-party bench, 54,000 name scorings instead of 46,000.
            ids = screening_target().subject_ids_by_name()
            for number, start in enumerate(range(0, len(ids), size)):
                chunks.append(
                    RescreenChunk(
                        job=job, index=number, action=RescreenChunk.Action.PARTIES, party_ids=ids[start : start + size]
                    )
                )
        else:
            size = entity_chunk_size or settings.RESCREEN_ENTITY_CHUNK_SIZE
            changes = ListVersionChange.objects.filter(version__number=job.list_version or 0).values_list(
                "entity_id", "change"
            )
            screen = sorted(e for e, c in changes if c in (Change.ADDED, Change.CHANGED))
            removed = sorted(e for e, c in changes if c == Change.REMOVED)
            for start in range(0, len(screen), size):
                chunks.append(
                    RescreenChunk(
                        job=job,
                        index=len(chunks),
                        action=RescreenChunk.Action.ENTITIES,
                        entity_ids=screen[start : start + size],
                    )
                )
            if removed:
                chunks.append(
                    RescreenChunk(job=job, index=len(chunks), action=RescreenChunk.Action.DELISTED, entity_ids=removed)
                )
        RescreenChunk.objects.bulk_create(chunks)
        job.total_chunks = len(chunks)
        job.save(update_fields=["total_chunks"])
        return job.total_chunks


def start_job(job_id: int) -> list[int]:
    """Mark a job running, plan it if needed, and return the chunks still to do.

    Called on every delivery of the job's message: the first plans, later ones (the sweeper's,
    after a worker died) only hand out what is not done yet.
    """
    now = timezone.now()
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
            return []
        job.status = RescreenJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        if job.threshold is None:
            # Stamped once: every chunk of the job screens with the same threshold.
            job.threshold = ScreeningConfig.load().threshold
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "threshold"])
    plan_job(job_id)
    remaining = list(RescreenChunk.objects.filter(job_id=job_id, done=False).values_list("pk", flat=True))
    if not remaining:
        finish_job(job_id)
    return remaining


def finish_job(job_id: int) -> None:
    """Close a job whose chunks are all done."""
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.status == RescreenJob.Status.DONE:
            return
        if RescreenChunk.objects.filter(job=job, done=False).exists():
            return
        job.status = RescreenJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        new_hits = [pk for ids in job.chunks.values_list("new_hit_ids", flat=True) for pk in ids]
        if new_hits:
            # In the transaction that closes the job: a job is closed once, so each person gets
            # one e-mail per job (per list change), listing every case it put in front of them.
            screening_target().announce(sorted(new_hits), unit=f"rescreen-job-{job.pk}")


@transaction.atomic
def fail_job(job_id: int, error: str) -> bool:
    """Mark a job failed with the error and e-mail the Compliance admins; False if already over.

    A failed job is not sent again by the sweeper: its open cases are not screened against
    what it covers until an admin has looked and retried it, so someone must be told.
    """
    job = RescreenJob.objects.select_for_update().get(pk=job_id)
    if job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
        return False
    job.status = RescreenJob.Status.FAILED
    job.error = error[:2000]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    what = f"{job.get_kind_display().lower()}" + (f", list version {job.list_version}" if job.list_version else "")
    outbox.write(
        [
            outbox.Email(
                key=f"rescreen-failed:{job.pk}:{job.retries}",
                subject=f"Re-screen {job.pk} failed",
                body=(
                    f"Re-screen {job.pk} ({what}) stopped: {job.error}\n\n"
                    f"Open cases are not screened against what it covers until it runs. Once the cause is "
                    f"mended, retry it on the re-screens page."
                ),
                recipients=outbox.addresses_of(Role.COMPLIANCE_ADMIN),
            )
        ]
    )
    return True


@transaction.atomic
def retry_job(*, actor: User, job: RescreenJob) -> RescreenJob:
    """A Compliance admin runs a failed job again: its unfinished chunks get fresh attempts."""
    if not has_role(actor, Role.COMPLIANCE_ADMIN):
        raise PermissionDenied("Only Compliance admins retry re-screens.")
    job = RescreenJob.objects.select_for_update().get(pk=job.pk)
    if job.status != RescreenJob.Status.FAILED:
        raise JobNotRetryable(
            f"Re-screen {job.pk} is {job.get_status_display().lower()}; only a failed one is retried."
        )
    RescreenChunk.objects.filter(job=job, done=False).update(attempts=0, error="")
    job.status = RescreenJob.Status.PENDING
    job.error = ""
    job.finished_at = None
    job.enqueued_at = None
    job.retries += 1
    job.retried_by = actor
    job.retried_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at", "enqueued_at", "retries", "retried_by", "retried_at"])
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def progress(job: RescreenJob) -> dict[str, Any]:
    """What the re-screens page polls for one job."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "list_version": job.list_version,
        "reason": job.reason,
        "requested_by": job.requested_by.username if job.requested_by else None,
        "status": job.status,
        "threshold": job.threshold,
        "total_chunks": job.total_chunks,
        "done_chunks": job.done_chunks,
        "percent": job.percent,
        "hits_found": job.hits_found,
        "new_hits": job.new_hits,
        "delisted_hits": job.delisted_hits,
        "unmatched_hits": job.unmatched_hits,
        "parties_screened": job.parties_screened,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
    }


def progress_item(job: RescreenJob) -> dict[str, Any]:
    """The re-screens page's row of one job: its bar and the texts beside it (static/js/progress.js)."""
    hits = f"{job.hits_found} ({job.new_hits} new"
    if job.delisted_hits:
        hits += f", {job.delisted_hits} delisted"
    if job.unmatched_hits:
        hits += f", {job.unmatched_hits} no longer matching"
    return lib_progress_item(
        job.pk,
        percent=job.percent,
        finished=job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED),
        chunks=f"{job.done_chunks} of {job.total_chunks} chunk{'' if job.total_chunks == 1 else 's'}",
        hits=hits + ")",
        status=job.get_status_display() + (f": {job.error}" if job.error else ""),
    )
