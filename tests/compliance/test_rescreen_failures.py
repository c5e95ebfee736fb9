"""No re-screen fails quietly: a chunk that keeps failing stops, fails its job, tells the admins,
and waits for an admin to retry it; the sweeper does not hand it out for ever."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from compliance import rescreen
from compliance.models import RescreenChunk, RescreenJob
from compliance.rescreen import chunks
from lib.models import Notification
from lib.roles import Role
from licensing.models import Hit
from tests.compliance.worker import Worker, wait_for
from tests.factories import make_user
from tests.licensing.factories import make_application, party


class Broken(RuntimeError):
    pass


@pytest.fixture
def admin(db: None) -> User:
    user = make_user(Role.COMPLIANCE_ADMIN, username="listadmin")
    user.email = "admin@example.com"
    user.save()
    return user


@pytest.fixture
def planned_job(admin: User) -> RescreenJob:
    """A full re-screen of one open case, planned but not run (no enqueue: the test runs it)."""
    make_application(destination="CN", parties=[party("Tianjin Aurora Drone Works", country="CN")], submitted=True)
    job = RescreenJob.objects.create(kind=RescreenJob.Kind.FULL, reason="audit", requested_by=admin)
    rescreen.start_job(job.pk)
    return job


@pytest.fixture
def broken_chunks(monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    state = {"broken": True}
    real = chunks._run

    def run(chunk_id: int) -> chunks.ChunkOutcome:
        if state["broken"]:
            raise Broken("the matcher fell over")
        return real(chunk_id)

    monkeypatch.setattr(chunks, "_run", run)
    return lambda broken: state.update(broken=broken)


def fail_until_given_up(chunk_id: int, *, attempts: int) -> list[bool]:
    finals = []
    for _ in range(attempts):
        with pytest.raises(chunks.ChunkFailed) as failure:
            chunks.run_chunk(chunk_id)
        finals.append(failure.value.final)
    return finals


def test_a_chunk_that_keeps_raising_fails_its_job_after_the_configured_attempts(
    planned_job: RescreenJob, broken_chunks: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.RESCREEN_CHUNK_MAX_ATTEMPTS = 3
    chunk = RescreenChunk.objects.get(job=planned_job)
    with django_capture_on_commit_callbacks(execute=True):
        assert fail_until_given_up(chunk.pk, attempts=3) == [False, False, True]
    planned_job.refresh_from_db()
    chunk.refresh_from_db()
    assert planned_job.status == RescreenJob.Status.FAILED
    assert planned_job.error == "Chunk 1 of 1 failed 3 times: Broken: the matcher fell over"
    assert (chunk.attempts, chunk.done, chunk.error) == (3, False, "Broken: the matcher fell over")
    # The Compliance admins are told, through the outbox.
    [email] = mail.outbox
    assert email.to == ["admin@example.com"]
    assert email.subject == f"Re-screen {planned_job.pk} failed"
    assert "the matcher fell over" in email.body and "retry it" in email.body
    # A further delivery of the chunk does nothing: the job is over.
    assert chunks.run_chunk(chunk.pk).already_done
    chunk.refresh_from_db()
    assert chunk.attempts == 3


def test_the_sweeper_leaves_a_failed_job_alone(planned_job: RescreenJob, broken_chunks: Any, settings: Any) -> None:
    settings.RESCREEN_CHUNK_MAX_ATTEMPTS = 2
    chunk = RescreenChunk.objects.get(job=planned_job)
    fail_until_given_up(chunk.pk, attempts=2)
    later = timezone.now() + timedelta(hours=2)
    RescreenJob.objects.filter(pk=planned_job.pk).update(created_at=later - timedelta(hours=1))
    for _ in range(3):
        assert rescreen.sweep(now=later) == []
    chunk.refresh_from_db()
    assert chunk.attempts == 2
    assert Notification.objects.filter(subject__startswith="Re-screen").count() == 1


def test_a_chunk_whose_worker_died_on_its_last_attempt_fails_the_job_without_running(
    planned_job: RescreenJob, settings: Any
) -> None:
    settings.RESCREEN_CHUNK_MAX_ATTEMPTS = 2
    # Two deliveries claimed the chunk and died with their worker (killed by the OOM killer, say).
    RescreenChunk.objects.filter(job=planned_job).update(attempts=2)
    chunk = RescreenChunk.objects.get(job=planned_job)
    assert chunks.run_chunk(chunk.pk).already_done
    planned_job.refresh_from_db()
    assert planned_job.status == RescreenJob.Status.FAILED
    assert "its worker stopped while running it" in planned_job.error
    assert not Hit.objects.exists()


def test_an_admin_retries_a_failed_job_and_it_runs_to_the_end(
    planned_job: RescreenJob,
    broken_chunks: Callable[[bool], None],
    settings: Any,
    admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.RESCREEN_CHUNK_MAX_ATTEMPTS = 1
    chunk = RescreenChunk.objects.get(job=planned_job)
    fail_until_given_up(chunk.pk, attempts=1)
    page = client_for(admin).get(reverse("compliance:rescreens")).content.decode()
    assert "Chunk 1 of 1 failed 1 times: Broken: the matcher fell over" in page
    assert f"Retry re-screen {planned_job.pk}</button>" in page

    broken_chunks(False)  # the cause is mended
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(reverse("compliance:rescreen-retry", args=[planned_job.pk]))
    assert response.status_code == 302
    planned_job.refresh_from_db()
    # Tasks are eager in this test: the retried job ran once the retry committed, and screened the case.
    assert planned_job.status == RescreenJob.Status.DONE
    assert (planned_job.done_chunks, planned_job.parties_screened) == (1, 1)
    assert (planned_job.retries, planned_job.retried_by) == (1, admin)
    chunk.refresh_from_db()
    assert chunk.done and chunk.attempts == 1


def test_only_a_failed_job_is_retried_and_only_by_a_compliance_admin(
    planned_job: RescreenJob, admin: User, reviewer: User, auditor: User
) -> None:
    def retry(user: User) -> Any:
        client = APIClient()
        client.force_authenticate(user)
        return client.post(reverse("api-rescreen-retry", args=[planned_job.pk]))

    response = retry(admin)
    assert response.status_code == 409
    assert "only a failed one is retried" in response.json()["detail"]
    RescreenJob.objects.filter(pk=planned_job.pk).update(status=RescreenJob.Status.FAILED, error="boom")
    assert retry(auditor).status_code == 403
    assert retry(reviewer).status_code == 403
    page = Client()
    page.force_login(auditor)
    assert "Retry re-screen" not in page.get(reverse("compliance:rescreens")).content.decode()
    response = retry(admin)
    assert response.status_code == 202
    assert response.json()["retries"] == 1


@pytest.mark.worker
def test_a_real_worker_gives_up_on_a_chunk_that_always_raises_and_the_sweeper_does_not_resend_it(
    start_worker: Callable[..., Worker], settings: Any
) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN, username="listadmin")
    admin.email = "admin@example.com"
    admin.save()
    make_application(destination="CN", parties=[party("Tianjin Aurora Drone Works", country="CN")], submitted=True)
    start_worker(CLEARANCE_FAULT_CHUNK_RAISES="1", RESCREEN_CHUNK_MAX_ATTEMPTS="3")
    job = rescreen.request_full_rescreen(actor=admin, reason="nightly")

    def failed() -> RescreenJob | None:
        found = RescreenJob.objects.get(pk=job.pk)
        return found if found.status == RescreenJob.Status.FAILED else None

    job = wait_for(failed, timeout=60, message="the job to fail after three attempts")
    assert "failed 3 times: InjectedFault: injected fault in chunk" in job.error
    chunk = RescreenChunk.objects.get(job=job)
    assert chunk.attempts == 3
    wait_for(
        lambda: Notification.objects.filter(subject=f"Re-screen {job.pk} failed", sent_at__isnull=False).exists(),
        message="the admins' e-mail to be sent by the worker",
    )
    # The sweeper, however often it runs, hands a failed job to nobody.
    settings.RESCREEN_STALL_SECONDS = 0
    settings.RESCREEN_PENDING_GRACE_SECONDS = 0
    for _ in range(3):
        assert rescreen.sweep(now=timezone.now() + timedelta(minutes=5)) == []
    chunk.refresh_from_db()
    assert chunk.attempts == 3
    assert Notification.objects.filter(subject__startswith="Re-screen").count() == 1
