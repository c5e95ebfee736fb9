"""What a re-screen does to open cases, run in-process (the worker tests cover delivery)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from compliance import rescreen
from compliance.models import RescreenChunk, RescreenJob
from compliance.rescreen import chunks, jobs
from entities.models import Entity, ListVersion
from entities.services import create_entity, delist_entity, update_entity
from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit, Licence, Party
from licensing.rescreening import screened_against
from licensing.status import LicenceStatus, Status
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party


def run_job(job: RescreenJob) -> RescreenJob:
    """What the worker does with a job's message and then each chunk's."""
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    job.refresh_from_db()
    return job


def latest_job() -> RescreenJob:
    return RescreenJob.objects.order_by("-pk").first()  # type: ignore[return-value]


@pytest.fixture
def admin(db: None) -> Any:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def list_entity(admin: Any) -> Callable[..., Entity]:
    def add(name: str, **kwargs: Any) -> Entity:
        return create_entity(actor=admin, record=make_record(name, **kwargs), reason="Federal Register notice")

    return add


@pytest.fixture
def open_request(db: None, reviewer: Any) -> Application:
    applicant = make_user(Role.SALES, username="applicant")
    applicant.email = "applicant@example.com"
    applicant.save()
    return make_application(
        applicant=applicant,
        destination="CN",
        parties=[party("Shenzhen Bluewave Semiconductor Co., Ltd.", country="CN", address="8 Keji Road, Shenzhen")],
        assigned_to=reviewer,
    )


def test_adding_an_entity_that_matches_an_open_request_records_the_hit_and_flags_the_request(
    open_request: Application,
    list_entity: Callable[..., Entity],
    reviewer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reviewer.email = "reviewer@example.com"
    reviewer.save()
    entity = list_entity("Shenzhen Bluewave Semiconductor", country="CN", aliases=("Bluewave Semi",))
    with django_capture_on_commit_callbacks(execute=True):
        job = run_job(latest_job())

    hit = Hit.objects.get()
    assert hit.entity == entity
    assert hit.party.application == open_request
    assert hit.status == Hit.Status.OPEN
    assert hit.list_version == job.list_version == entity.last_version.number  # type: ignore[union-attr]
    assert hit.history.latest().history_user.username == "system"  # type: ignore[union-attr]
    open_request.refresh_from_db()
    assert open_request.status == Status.ON_HOLD
    assert open_request.needs_attention
    assert "Shenzhen Bluewave Semiconductor" in open_request.attention_reason
    assert screened_against(open_request)["last_screened_version"] == job.list_version
    assert job.status == RescreenJob.Status.DONE
    assert (job.hits_found, job.new_hits, job.done_chunks, job.total_chunks) == (1, 1, 1, 1)
    # One e-mail per person.
    assert sorted(tuple(m.to) for m in mail.outbox) == [("applicant@example.com",), ("reviewer@example.com",)]
    assert all(str(open_request.reference) in str(m.subject) for m in mail.outbox)


def test_a_change_that_matches_nothing_creates_nothing(
    open_request: Application, list_entity: Callable[..., Entity]
) -> None:
    list_entity("Volga River Tractor Works", country="RU")
    job = run_job(latest_job())
    assert job.status == RescreenJob.Status.DONE
    assert not Hit.objects.exists()
    open_request.refresh_from_db()
    assert open_request.status == Status.IN_REVIEW
    assert not open_request.needs_attention


def test_delisting_resolves_the_open_hit_as_entity_delisted(
    open_request: Application, list_entity: Callable[..., Entity], admin: Any
) -> None:
    entity = list_entity("Shenzhen Bluewave Semiconductor", country="CN")
    run_job(latest_job())
    delist_entity(actor=admin, entity=entity, reason="Removed by 89 FR 1234")
    job = run_job(latest_job())
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.DELISTED
    assert job.delisted_hits == 1
    assert "delisted" in hit.history.latest().history_change_reason.lower()  # type: ignore[union-attr]


def test_a_late_delisting_job_leaves_alone_an_entity_listed_again_since(
    open_request: Application, list_entity: Callable[..., Entity], admin: Any
) -> None:
    from entities.services import begin_version, finish_version

    entity = list_entity("Shenzhen Bluewave Semiconductor", country="CN")
    run_job(latest_job())
    delist_entity(actor=admin, entity=entity, reason="Removed by 89 FR 1234")
    delisting = latest_job()
    # Listed again by a later version (as an import would) before the delisting job ran.
    Entity.objects.filter(pk=entity.pk).update(delisted_on=None)
    finish_version(begin_version(actor=admin, kind="import", reason="relisted by 89 FR 5678"), [])
    job = run_job(delisting)
    assert job.status == RescreenJob.Status.DONE and job.delisted_hits == 0
    assert Hit.objects.get().status == Hit.Status.OPEN


def test_running_a_chunk_twice_records_each_hit_once(
    open_request: Application, list_entity: Callable[..., Entity]
) -> None:
    list_entity("Shenzhen Bluewave Semiconductor", country="CN")
    job = latest_job()
    chunk_ids = rescreen.start_job(job.pk)
    first = chunks.run_chunk(chunk_ids[0])
    again = chunks.run_chunk(chunk_ids[0])
    assert first.hits == 1 and again.already_done
    assert Hit.objects.count() == 1
    job.refresh_from_db()
    assert (job.done_chunks, job.hits_found, job.status) == (1, 1, RescreenJob.Status.DONE)


def test_a_cleared_hit_stays_cleared_until_the_entity_changes(
    open_request: Application, list_entity: Callable[..., Entity], admin: Any, reviewer2: Any
) -> None:
    entity = list_entity("Shenzhen Bluewave Semiconductor", country="CN")
    run_job(latest_job())
    hit = Hit.objects.get()
    services.resume(actor=reviewer2, application=open_request, reason="looking")
    services.clear_hit(actor=reviewer2, hit=hit, rationale="Different company, different city")

    run_job(rescreen.request_full_rescreen(actor=admin, reason="audit"))
    hit.refresh_from_db()
    assert hit.status == Hit.Status.CLEARED

    update_entity(
        actor=admin,
        entity=entity,
        record=make_record("Shenzhen Bluewave Semiconductor", country="CN", aliases=("Bluewave",)),
        reason="alias added",
    )
    run_job(latest_job())
    hit.refresh_from_db()
    assert hit.status == Hit.Status.OPEN


def test_a_new_hit_on_a_valid_licence_puts_the_licence_on_hold(
    list_entity: Callable[..., Entity], reviewer: Any
) -> None:
    application = make_application(
        destination="CN", parties=[party("Harbin Polar Optics Institute", country="CN")], assigned_to=reviewer
    )
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="General merchandise")
    licence = Licence.objects.get(application=application)
    assert licence.status == LicenceStatus.ACTIVE

    list_entity("Harbin Polar Optics Institute", country="CN")
    run_job(latest_job())
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.ON_HOLD
    assert licence.history.latest().history_user.username == "system"  # type: ignore[union-attr]
    application.refresh_from_db()
    assert application.needs_attention


def test_a_full_rescreen_screens_every_open_party_in_chunks_and_stamps_the_version(
    list_entity: Callable[..., Entity], admin: Any, reviewer: Any
) -> None:
    list_entity("Tianjin Aurora Drone Works", country="CN")
    cases = [
        make_application(destination="CN", parties=[party(f"Trading House {n}", country="CN")], submitted=True)
        for n in range(4)
    ]
    hit_case = make_application(
        destination="CN", parties=[party("Tianjin Aurora Drone Works", country="CN")], submitted=True
    )
    Hit.objects.all().delete()  # as if the hit had been missed: the full re-screen must find it again
    job = rescreen.request_full_rescreen(actor=admin, reason="audit")
    jobs.plan_job(job.pk, party_chunk_size=2)
    job = run_job(job)
    assert job.total_chunks == 3 == RescreenChunk.objects.filter(job=job, done=True).count()
    assert job.parties_screened == 5
    assert Hit.objects.get().party.application == hit_case
    current = ListVersion.current_number()
    assert all(a.last_screened_version == current for a in Application.objects.filter(pk__in=[c.pk for c in cases]))


def test_a_full_rescreen_puts_every_party_of_one_name_in_one_chunk(
    list_entity: Callable[..., Entity], admin: Any
) -> None:
    """So the worker process that runs the chunk scores the name once, not once per process."""
    list_entity("Tianjin Aurora Drone Works", country="CN")
    names = ["Zeta Trading", "Alpha Trading", "Zeta Trading", "Mid Trading", "Alpha Trading", "Zeta Trading"]
    for name in names:
        make_application(destination="CN", parties=[party(name, country="CN")], submitted=True)
    job = rescreen.request_full_rescreen(actor=admin, reason="audit")
    assert jobs.plan_job(job.pk, party_chunk_size=3) == 2
    chunks = [
        sorted(Party.objects.filter(pk__in=chunk.party_ids).values_list("name", flat=True))
        for chunk in RescreenChunk.objects.filter(job=job).order_by("index")
    ]
    assert chunks == [["Alpha Trading", "Alpha Trading", "Mid Trading"], ["Zeta Trading"] * 3]
    job = run_job(job)
    assert job.parties_screened == len(names) and job.status == RescreenJob.Status.DONE


def test_a_case_is_out_of_date_until_the_delta_of_the_new_version_is_done(
    open_request: Application, list_entity: Callable[..., Entity]
) -> None:
    list_entity("Unrelated Listed Name", country="IR")
    open_request.refresh_from_db()
    state = screened_against(open_request)
    assert state["out_of_date"] and state["current_version"] == state["last_screened_version"] + 1  # type: ignore[operator]
    run_job(latest_job())
    open_request.refresh_from_db()
    assert not screened_against(open_request)["out_of_date"]


def test_the_sweeper_sends_again_jobs_never_enqueued_and_jobs_that_stopped_beating(
    db: None, admin: Any, settings: Any
) -> None:
    now = timezone.now()
    never = rescreen.request_full_rescreen(actor=admin, reason="never reached the broker")
    RescreenJob.objects.filter(pk=never.pk).update(created_at=now - timedelta(minutes=1))
    stalled = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL, status=RescreenJob.Status.RUNNING, heartbeat_at=now - timedelta(hours=1)
    )
    RescreenJob.objects.filter(pk=stalled.pk).update(created_at=now - timedelta(hours=1))
    beating = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL, status=RescreenJob.Status.RUNNING, heartbeat_at=now
    )
    RescreenJob.objects.filter(pk=beating.pk).update(created_at=now - timedelta(hours=1))
    assert sorted(rescreen.sweep(now=now)) == sorted([never.pk, stalled.pk])
    never.refresh_from_db()
    stalled.refresh_from_db()
    # Eager in this test: the re-sent jobs ran to the end (there are no open cases).
    assert never.status == stalled.status == RescreenJob.Status.DONE


def test_licences_past_their_validity_expire(reviewer: Any) -> None:
    application = make_application(assigned_to=reviewer)
    services.decide(actor=reviewer, application=application, outcome="approved", rationale="fine")
    licence = Licence.objects.get()
    Licence.objects.filter(pk=licence.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    from licensing.tasks import expire_licences

    assert expire_licences() == 1
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXPIRED
    assert licence.history.latest().history_user.username == "system"  # type: ignore[union-attr]


def test_the_case_page_shows_the_version_screened_against_and_flags_an_older_one(
    open_request: Application, list_entity: Callable[..., Entity], reviewer: Any, client_for: Any
) -> None:
    from django.urls import reverse

    list_entity("Unrelated Listed Name", country="IR")
    page = client_for(reviewer).get(reverse("licensing:detail", args=[open_request.pk])).content.decode()
    current = ListVersion.current_number()
    assert f"Screened against list version {current - 1}" in page and f"(current: {current})" in page
    assert "out of date" in page
    run_job(latest_job())
    page = client_for(reviewer).get(reverse("licensing:detail", args=[open_request.pk])).content.decode()
    assert f"Screened against list version {current}" in page and "out of date" not in page


def test_the_sweeper_writes_the_version_into_open_cases_stamps_but_not_closed_ones(
    open_request: Application, list_entity: Callable[..., Entity], reviewer: Any
) -> None:
    withdrawn = make_application(parties=[party("Quiet Harbour Traders", country="CA")], submitted=True)
    services.withdraw(actor=withdrawn.applicant, application=withdrawn)
    before = {a.pk: Application.objects.get(pk=a.pk).last_screened_version for a in (open_request, withdrawn)}
    list_entity("Unrelated Listed Name", country="IR")
    job = run_job(latest_job())
    open_request.refresh_from_db()
    assert open_request.last_screened_version == before[open_request.pk], "a job does not rewrite every open case"
    assert screened_against(open_request)["last_screened_version"] == job.list_version

    rescreen.sweep()

    open_request.refresh_from_db()
    withdrawn.refresh_from_db()
    assert open_request.last_screened_version == job.list_version
    assert withdrawn.last_screened_version == before[withdrawn.pk]
