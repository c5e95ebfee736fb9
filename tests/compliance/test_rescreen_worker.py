"""Re-screening end to end: a real Celery worker, the real Redis and PostgreSQL, no eager mode."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import transaction

from compliance.models import RescreenJob
from compliance.rescreen import jobs
from entities.models import Entity, ListVersion, ListVersionChange
from entities.services import begin_version, create_entity, delist_entity, finish_version, write_entity
from lib.roles import Role
from licensing.models import Application, Hit
from licensing.rescreening import screened_against
from licensing.status import Status
from tests.compliance.worker import VISIBILITY_TIMEOUT, Worker, wait_for
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.worker


def finished(job_id: int) -> Callable[[], RescreenJob | None]:
    def check() -> RescreenJob | None:
        job = RescreenJob.objects.get(pk=job_id)
        assert job.status != RescreenJob.Status.FAILED, job.error
        return job if job.status == RescreenJob.Status.DONE else None

    return check


def latest_job_id() -> int:
    return RescreenJob.objects.order_by("-pk").values_list("pk", flat=True)[0]


def test_a_new_matching_entity_is_found_and_flagged_delisting_resolves_it_and_a_non_match_adds_nothing(
    start_worker: Callable[..., Worker],
) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    reviewer = make_user(Role.REVIEWER)
    case = make_application(
        destination="CN",
        parties=[party("Ningbo Starlight Photonics Co., Ltd.", country="CN")],
        assigned_to=reviewer,
    )
    start_worker()

    create_entity(actor=admin, record=make_record("Caspian Gulf Shipping", country="IR"), reason="unrelated")
    wait_for(finished(latest_job_id()), message="the non-matching delta job")
    assert not Hit.objects.exists()

    entity = create_entity(
        actor=admin, record=make_record("Ningbo Starlight Photonics", country="CN"), reason="89 FR 1000"
    )
    job = wait_for(finished(latest_job_id()), message="the matching delta job")
    hit = Hit.objects.get()
    assert (hit.entity, hit.party.application, hit.status) == (entity, case, Hit.Status.OPEN)
    assert hit.list_version == job.list_version
    case.refresh_from_db()
    assert case.status == Status.ON_HOLD and case.needs_attention
    screened = screened_against(case)
    assert screened["last_screened_version"] == ListVersion.current_number() and not screened["out_of_date"]

    delist_entity(actor=admin, entity=entity, reason="89 FR 2000")
    wait_for(finished(latest_job_id()), message="the delisting job")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.DELISTED
    assert Hit.objects.count() == 1


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(start_worker: Callable[..., Worker]) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    names = ["Orion Deep Space Systems", "Kestrel Night Vision", "Baltic Amber Rockets", "Sable Gyroscope Works"]
    cases = [make_application(destination="RU", parties=[party(name, country="RU")], submitted=True) for name in names]
    # One list version adding four entities, each matching one open request.
    with transaction.atomic():
        version = begin_version(actor=admin, kind=ListVersion.Kind.IMPORT, reason="bulk listing")
        added = [
            write_entity(Entity(), make_record(name, country="RU"), version=version, actor=admin, reason="bulk")
            for name in names
        ]
        finish_version(version, [(e.pk, ListVersionChange.Change.ADDED, []) for e in added])
    job_id = latest_job_id()
    # One chunk per entity, so the kill lands between chunks that are done and chunks that are not.
    assert jobs.plan_job(job_id, entity_chunk_size=1) == 4

    doomed = start_worker(CLEARANCE_FAULT_CHUNK_DELAY="1.5")
    wait_for(
        lambda: RescreenJob.objects.filter(pk=job_id, done_chunks__gte=1).exists(),
        timeout=30,
        message="the first chunk to finish",
    )
    doomed.kill()
    job = RescreenJob.objects.get(pk=job_id)
    assert job.done_chunks < job.total_chunks, "the kill came too late to test anything"

    # The killed chunk's message was never acknowledged (acks_late): Redis hands it out again once
    # the visibility timeout (4 s for the test workers) has passed and a worker starts polling.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    start_worker()
    job = wait_for(finished(job_id), timeout=120, message="the job to finish on the second worker")
    assert (job.done_chunks, job.total_chunks, job.hits_found, job.new_hits) == (4, 4, 4, 4)
    for case, entity in zip(cases, added, strict=True):
        assert Hit.objects.filter(party__application=case).values_list("entity", flat=True).get() == entity.pk
    assert Hit.objects.count() == 4
    # Each hit was recorded once: one history row of its creation, one flagging per case.
    assert all(h.history.filter(history_type="+").count() == 1 for h in Hit.objects.all())
    assert set(Application.objects.values_list("status", flat=True)) == {Status.ON_HOLD}
