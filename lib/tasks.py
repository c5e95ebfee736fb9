"""Celery tasks shared by every app: sending the e-mail outbox (default queue)."""

from __future__ import annotations

from celery import shared_task

from lib import outbox


@shared_task(name="lib.tasks.send_notifications")
def send_notifications(notification_ids: list[int]) -> int:
    """Send a batch of outbox e-mails over one connection; sent ones are skipped."""
    return outbox.send_many(notification_ids)


@shared_task(name="lib.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Beat: hand over again the e-mails that never reached a worker or lost theirs."""
    return len(outbox.sweep())
