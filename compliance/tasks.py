"""Celery tasks for screening: thin shells that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from compliance import screening


@shared_task(name="compliance.tasks.run_batch_screening")
def run_batch_screening(batch_id: int) -> int:
    """Screen an uploaded batch; a second delivery of a finished batch does nothing."""
    batch = screening.run_batch(batch_id)
    return batch.processed
