"""Celery tasks for screening: thin shells that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from compliance import screening


@shared_task(name="compliance.tasks.run_batch_screening")
def run_batch_screening(batch_id: int) -> int:
    """Screen an uploaded batch; a second delivery of a finished batch does nothing."""
    batch = screening.run_batch(batch_id)
    return batch.processed


@shared_task(name="compliance.tasks.run_rescreen")
def run_rescreen(job_id: int) -> int:
    """Start (or resume) a re-screen job: plan it once, then queue each chunk not done yet."""
    from compliance import rescreen

    chunk_ids = rescreen.start_job(job_id)
    for chunk_id in chunk_ids:
        run_rescreen_chunk.apply_async((chunk_id,))
    return len(chunk_ids)


@shared_task(
    name="compliance.tasks.run_rescreen_chunk",
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def run_rescreen_chunk(chunk_id: int) -> int:
    """Screen one chunk; a chunk already done (redelivered, retried, run twice) does nothing."""
    from compliance import rescreen

    return rescreen.run_chunk(chunk_id).hits


@shared_task(name="compliance.tasks.sweep_rescreens")
def sweep_rescreens() -> int:
    """Beat: hand over again the jobs and e-mails that never reached a worker or lost theirs."""
    from compliance import notifications, rescreen

    jobs = rescreen.sweep()
    notifications.sweep()
    return len(jobs)


@shared_task(
    name="compliance.tasks.send_notification",
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=True,
)
def send_notification(notification_id: int) -> bool:
    """Send one outbox e-mail; a second run (redelivery, retry, sweep) of a sent one does nothing."""
    from compliance import notifications

    return notifications.send(notification_id)


@shared_task(name="compliance.tasks.send_notifications")
def send_notifications(notification_ids: list[int]) -> int:
    """Send a batch of outbox e-mails over one connection; sent ones are skipped."""
    from compliance import notifications

    return notifications.send_many(notification_ids)


@shared_task(name="compliance.tasks.nightly_full_rescreen")
def nightly_full_rescreen() -> int:
    """Beat: screen every open case against the whole list once a night, whatever changed."""
    from compliance import rescreen
    from lib.users import system_user

    return rescreen.request_full_rescreen(actor=system_user(), reason="Nightly full re-screen").pk


@shared_task(name="compliance.tasks.expire_licences")
def expire_licences() -> int:
    """Beat, daily: licences past their validity stop being open cases (and stop being usable)."""
    from lib.users import system_user
    from licensing.services import expire_licences as expire

    return len(expire(actor=system_user()))
