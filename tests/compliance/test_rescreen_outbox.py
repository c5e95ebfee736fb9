"""The outbox: a list change and its re-screen job commit together, and reach a worker eventually."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from compliance import rescreen
from compliance.models import RescreenJob, ScreeningConfig
from compliance.screening import set_threshold
from entities.services import create_entity
from lib.roles import Role
from tests.compliance.worker import Worker, broker_unreachable, wait_for
from tests.factories import make_record, make_user


class Boom(Exception):
    pass


def job_done(job: RescreenJob) -> Callable[[], bool]:
    def check() -> bool:
        job.refresh_from_db()
        return job.status == RescreenJob.Status.DONE

    return check


def test_a_list_change_writes_its_delta_job_in_the_same_transaction(db: None) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    entity = create_entity(actor=admin, record=make_record("Nimbus Avionics"), reason="Federal Register notice")
    job = RescreenJob.objects.get()
    assert job.kind == RescreenJob.Kind.DELTA
    assert job.list_version == entity.last_version.number  # type: ignore[union-attr]
    assert job.requested_by == admin
    assert job.status == RescreenJob.Status.PENDING
    assert "Federal Register notice" in job.reason


def test_a_threshold_change_queues_a_full_rescreen_attributed_to_the_admin(db: None) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    ScreeningConfig.load()
    set_threshold(actor=admin, threshold=0.9, reason="Fewer false positives")
    job = RescreenJob.objects.get()
    assert job.kind == RescreenJob.Kind.FULL
    assert job.requested_by == admin
    assert "threshold" in job.reason and "Fewer false positives" in job.reason


def test_saving_the_same_threshold_queues_nothing(db: None) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    config = ScreeningConfig.load()
    set_threshold(actor=admin, threshold=config.threshold, reason="No change")
    assert not RescreenJob.objects.exists()


def test_a_second_full_request_while_one_waits_returns_the_waiting_job(db: None) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    first = rescreen.request_full_rescreen(actor=admin, reason="Audit")
    second = rescreen.request_full_rescreen(actor=admin, reason="Audit again")
    assert first.pk == second.pk
    assert RescreenJob.objects.count() == 1


def test_a_full_request_without_a_reason_is_refused(db: None) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    with pytest.raises(ValueError, match="Say why"):
        rescreen.request_full_rescreen(actor=admin, reason="  ")
    assert not RescreenJob.objects.exists()


@pytest.mark.worker
def test_a_rolled_back_list_change_enqueues_nothing(start_worker: Callable[..., Worker], redis_queue: Any) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    with pytest.raises(Boom), transaction.atomic():
        create_entity(actor=admin, record=make_record("Phantom Optics"), reason="will be rolled back")
        raise Boom
    assert not RescreenJob.objects.exists()
    assert redis_queue.llen("screening") == 0
    assert redis_queue.llen("default") == 0


@pytest.mark.worker
def test_a_committed_list_change_reaches_the_worker(start_worker: Callable[..., Worker]) -> None:
    start_worker()
    admin = make_user(Role.COMPLIANCE_ADMIN)
    create_entity(actor=admin, record=make_record("Quasar Propulsion"), reason="new listing")
    job = RescreenJob.objects.get()
    wait_for(job_done(job), message="the delta job to finish")
    assert job.done_chunks == job.total_chunks == 1
    assert job.attempts == 1


@pytest.mark.worker
def test_a_change_committed_while_the_broker_is_down_is_rescreened_once_it_is_back(
    start_worker: Callable[..., Worker], redis_queue: Any, settings: Any
) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    with broker_unreachable():
        create_entity(actor=admin, record=make_record("Zephyr Telemetry"), reason="listed during an outage")
    job = RescreenJob.objects.get()
    assert job.status == RescreenJob.Status.PENDING
    assert job.enqueued_at is None
    assert redis_queue.llen("screening") == 0

    start_worker()
    settings.RESCREEN_PENDING_GRACE_SECONDS = 0
    assert rescreen.sweep() == [job.pk]
    wait_for(job_done(job), message="the swept job to finish")
    assert job.attempts == 1
