"""Running re-screen jobs in-process, as the worker would (tests of delivery use the real worker)."""

from __future__ import annotations

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen import chunks


def run_job(job: RescreenJob) -> RescreenJob:
    """What the worker does with a job's message and then each chunk's."""
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    job.refresh_from_db()
    return job


def latest_job() -> RescreenJob:
    job = RescreenJob.objects.order_by("-pk").first()
    assert job is not None, "no re-screen job was written"
    return job
