"""Celery tasks for the list: thin shells that take ids and call one service."""

from __future__ import annotations

from celery import shared_task

from entities import sources
from entities.importers import jobs


@shared_task(name="entities.tasks.run_import_job")
def run_import_job(job_id: int) -> str:
    """Import an uploaded list file; a redelivered task for a started job does nothing."""
    return jobs.run_job(job_id).status


@shared_task(name="entities.tasks.purge_import_files")
def purge_import_files() -> int:
    """Beat, daily: delete uploaded list files kept longer than IMPORT_FILE_RETENTION_DAYS."""
    return len(jobs.purge_import_files())


@shared_task(name="entities.tasks.fetch_due_sources")
def fetch_due_sources() -> list[int]:
    """Beat, every minute: fetch the list sources whose schedule is due."""
    return sources.fetch_due_sources()
