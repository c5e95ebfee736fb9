"""Two workers run two chunks of one job at the same time, each on its own database connection."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from compliance.models import RescreenChunk, RescreenJob
from compliance.rescreen import chunks, jobs
from entities.models import ListVersion
from lib.roles import Role
from lib.users import system_user
from tests.factories import make_user
from tests.licensing.factories import make_application, party


@pytest.mark.django_db(transaction=True)
def test_a_chunk_runs_while_another_chunk_of_the_same_job_is_still_running(monkeypatch: Any) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN, username="listadmin")
    system_user()  # exists in any running installation; created inside a chunk it would be a lock
    for name in ("Alpha Trading", "Zeta Trading"):
        make_application(destination="CN", parties=[party(name, country="CN")], submitted=True)
    # The row alone, not request_full_rescreen: its enqueue would run the job before the test can.
    job = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL, list_version=ListVersion.current_number(), reason="audit", requested_by=admin
    )
    assert jobs.plan_job(job.pk, party_chunk_size=1) == 2
    first, second = RescreenChunk.objects.filter(job=job).order_by("index").values_list("pk", flat=True)

    inside = threading.Event()
    release = threading.Event()
    screen = chunks._screen_parties

    def slow_first_chunk(chunk: RescreenChunk, **kwargs: Any) -> chunks.ChunkOutcome:
        if chunk.pk == first:
            inside.set()  # the first worker is inside its chunk's transaction, holding its locks
            assert release.wait(timeout=30)
        return screen(chunk, **kwargs)

    monkeypatch.setattr(chunks, "_screen_parties", slow_first_chunk)

    def run_first() -> None:
        try:
            chunks.run_chunk(first)
        finally:
            connection.close()  # the thread had its own connection

    worker = threading.Thread(target=run_first)
    worker.start()
    try:
        assert inside.wait(timeout=30)
        done: list[chunks.ChunkOutcome] = []

        def run_second() -> None:
            try:
                done.append(chunks.run_chunk(second))
            finally:
                connection.close()

        other = threading.Thread(target=run_second)
        other.start()
        other.join(timeout=10)
        # The second chunk finished while the first still held its transaction open.
        assert not other.is_alive() and done and done[0].parties == 1
        assert RescreenChunk.objects.get(pk=second).done
        assert not RescreenChunk.objects.get(pk=first).done
    finally:
        release.set()
        worker.join(timeout=30)
    job = RescreenJob.objects.get(pk=job.pk)
    assert (job.done_chunks, job.parties_screened, job.status) == (2, 2, RescreenJob.Status.DONE)
