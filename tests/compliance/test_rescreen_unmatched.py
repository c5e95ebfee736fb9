"""A listed entity changes so that a party it was hitting no longer matches it (delta re-screens)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen import chunks
from entities.models import Entity
from entities.services import create_entity, update_entity
from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit
from tests.compliance.jobs import latest_job, run_job
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db

LISTED = "Shenzhen Bluewave Semiconductor"
# A correction that still looks like the party's name, but scores under the threshold (0.66).
CORRECTED = "Shenzhen Redwave Semiconductor"


@pytest.fixture
def admin(db: None) -> User:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def entity(admin: User) -> Entity:
    return create_entity(actor=admin, record=make_record(LISTED, country="CN"), reason="89 FR 1000")


@pytest.fixture
def case(entity: Entity, reviewer: User) -> Application:
    """A request in review whose end user was hit by the entity when it was submitted."""
    application = make_application(
        destination="CN",
        parties=[party("Shenzhen Bluewave Semiconductor Co., Ltd.", country="CN", address="8 Keji Road, Shenzhen")],
        assigned_to=reviewer,
    )
    assert Hit.objects.get().status == Hit.Status.OPEN
    run_job(latest_job())  # the entity's own delta job: already hit at submission, nothing new
    return application


def rename(admin: User, entity: Entity, name: str) -> RescreenJob:
    """The list corrects the entity's name (same key), as a Federal Register correction would."""
    update_entity(
        actor=admin,
        entity=entity,
        record=make_record(name, country="CN", key=entity.key),
        reason="Correction, 89 FR 2000",
    )
    return latest_job()


def test_an_open_hit_the_changed_entity_no_longer_matches_is_resolved_with_the_score_that_says_why(
    case: Application, entity: Entity, admin: User
) -> None:
    job = run_job(rename(admin, entity, CORRECTED))

    hit = Hit.objects.get()
    assert hit.status == Hit.Status.UNMATCHED
    assert job.unmatched_hits == 1
    assert hit.list_version == job.list_version
    pattern = rf"Entity changed in list version {job.list_version}; no longer matches \(score (.+), threshold (.+)\)"
    found = re.fullmatch(pattern, hit.resolution)
    assert found is not None, hit.resolution
    assert 0.5 < float(found[1]) < float(found[2]) == job.threshold
    latest = hit.history.latest()
    assert latest.history_user.username == "system"  # type: ignore[union-attr]
    assert latest.history_change_reason == hit.resolution[:100]
    case.refresh_from_db()
    assert case.needs_attention and "no longer matches" in case.attention_reason
    # The hit no longer weighs on the licence determination: only the items and destination do.
    assert not any(LISTED in reason for reason in (case.determination or {})["reasons"])


def test_the_resolved_hit_still_holds_up_approval_until_a_reviewer_acknowledges_it(
    case: Application, entity: Entity, admin: User, reviewer: User
) -> None:
    run_job(rename(admin, entity, CORRECTED))
    with pytest.raises(ValidationError, match="not yet acknowledged"):
        services.decide(actor=reviewer, application=case, outcome="approved", rationale="Fine.")
    services.acknowledge_hit(actor=reviewer, hit=Hit.objects.get(), rationale="The listing was corrected.")
    services.decide(actor=reviewer, application=case, outcome="approved", rationale="Fine.")
    case.refresh_from_db()
    assert case.status == "approved"


def test_a_changed_entity_that_still_matches_leaves_the_hit_open(
    case: Application, entity: Entity, admin: User
) -> None:
    job = run_job(rename(admin, entity, "Shenzhen Bluewave Semiconductor Company"))
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.OPEN
    assert hit.resolution == ""
    assert job.unmatched_hits == 0


def test_a_hit_a_reviewer_cleared_stays_cleared_when_the_changed_entity_no_longer_matches(
    case: Application, entity: Entity, admin: User, reviewer: User
) -> None:
    services.clear_hit(actor=reviewer, hit=Hit.objects.get(), rationale="Different company, other city.")
    job = run_job(rename(admin, entity, CORRECTED))
    hit = Hit.objects.get()
    assert (hit.status, hit.rationale, hit.resolution) == (Hit.Status.CLEARED, "Different company, other city.", "")
    assert hit.reviewed_by == reviewer
    assert job.unmatched_hits == 0


def test_a_chunk_run_twice_resolves_and_records_the_hit_once(case: Application, entity: Entity, admin: User) -> None:
    job = rename(admin, entity, CORRECTED)
    hit = Hit.objects.get()
    history_before = hit.history.count()
    [chunk_id] = rescreen.start_job(job.pk)
    first = chunks.run_chunk(chunk_id)
    again = chunks.run_chunk(chunk_id)
    assert (first.unmatched, again.already_done) == (1, True)
    hit.refresh_from_db()
    assert hit.status == Hit.Status.UNMATCHED
    assert hit.history.count() == history_before + 1
    job.refresh_from_db()
    assert (job.unmatched_hits, job.status) == (1, RescreenJob.Status.DONE)


def test_the_pair_matching_again_later_reopens_the_hit(
    case: Application, entity: Entity, admin: User, reviewer: User
) -> None:
    run_job(rename(admin, entity, CORRECTED))
    services.acknowledge_hit(actor=reviewer, hit=Hit.objects.get(), rationale="The listing was corrected.")
    run_job(rename(admin, Entity.objects.get(pk=entity.pk), LISTED))
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.OPEN
    assert (hit.rationale, hit.resolution, hit.reviewed_by) == ("", "", None)
    assert "Reopened" in (hit.history.latest().history_change_reason or "")


def test_a_hit_on_another_open_case_of_an_unrelated_entity_is_left_alone(
    case: Application, entity: Entity, admin: User, reviewer: Any
) -> None:
    other = create_entity(actor=admin, record=make_record("Tianjin Aurora Drone Works", country="CN"), reason="x")
    make_application(destination="CN", parties=[party("Tianjin Aurora Drone Works", country="CN")], submitted=True)
    run_job(latest_job())
    run_job(rename(admin, entity, CORRECTED))
    assert Hit.objects.get(entity=other).status == Hit.Status.OPEN
    assert Hit.objects.get(entity=entity).status == Hit.Status.UNMATCHED


def test_an_entity_whose_listing_ended_resolves_its_open_hits_as_no_longer_screened(
    case: Application, entity: Entity, admin: User
) -> None:
    update_entity(
        actor=admin,
        entity=entity,
        record=make_record(LISTED, country="CN", key=entity.key, end_date=date(2020, 1, 1)),
        reason="Listing ended, 89 FR 2100",
    )
    job = run_job(latest_job())
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.UNMATCHED
    assert hit.resolution == (
        f"Entity changed in list version {job.list_version}; no longer screened (delisted or past its end date)"
    )
