"""Celery tasks for screening and re-screening: thin shells that take ids and call one service.

All of them run on the "screening" queue (CELERY_TASK_ROUTES): CPU-bound matching that must not
hold up e-mails and housekeeping on the default queue.
"""

from __future__ import annotations

from celery import Task, shared_task

from compliance import rescreen, screening
from compliance.rescreen import chunks
from lib.users import system_user


@shared_task(name="compliance.tasks.run_batch_screening")
def run_batch_screening(batch_id: int) -> int:
    """Screen an uploaded batch; a second delivery of a finished batch does nothing."""
    batch = screening.run_batch(batch_id)
    return batch.processed


@shared_task(name="compliance.tasks.run_rescreen")
def run_rescreen(job_id: int) -> int:
    """Start (or resume) a re-screen job: plan it once, then queue each chunk not done yet."""
    chunk_ids = rescreen.start_job(job_id)
    for chunk_id in chunk_ids:
        run_rescreen_chunk.apply_async((chunk_id,))
    return len(chunk_ids)


@shared_task(bind=True, name="compliance.tasks.run_rescreen_chunk", max_retries=None)
def run_rescreen_chunk(self: Task, chunk_id: int) -> int:
    """Screen one chunk; a chunk already done (redelivered, retried, run twice) does nothing.

    A chunk that raises is tried again with a growing delay until it has used its attempts
    (the chunk counts them, not Celery), then its job is failed and nothing is retried.
    """
    try:
        return chunks.run_chunk(chunk_id).hits
    except chunks.ChunkFailed as exc:
        if exc.final:
            return 0
        raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6))) from exc


@shared_task(name="compliance.tasks.sweep_rescreens")
def sweep_rescreens() -> int:
    """Beat: hand over again the jobs that never reached a worker or lost theirs."""
    return len(rescreen.sweep())


@shared_task(name="compliance.tasks.nightly_full_rescreen")
def nightly_full_rescreen() -> int:
    """Beat: screen every open case against the whole list once a night, whatever changed."""
    return rescreen.request_full_rescreen(actor=system_user(), reason="Nightly full re-screen").pk
