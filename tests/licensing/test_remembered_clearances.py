"""Remembered clearances: a reviewer's false positive carried to later hits of the same party."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance import rescreen, screening
from compliance.models import RescreenJob
from compliance.rescreen import chunks
from entities.models import Entity, ListVersion
from entities.services import create_entity, update_entity
from lib.errors import Conflict
from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit, RememberedClearance
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party

NAME = "Bluewave Semiconductor Trading Co., Ltd."
ADDRESS = "8 Keji Road, Shenzhen"


def run_job(job: RescreenJob) -> RescreenJob:
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    job.refresh_from_db()
    return job


def latest_job() -> RescreenJob:
    return RescreenJob.objects.order_by("-pk").first()  # type: ignore[return-value]


def full_rescreen(admin: Any) -> None:
    run_job(rescreen.request_full_rescreen(actor=admin, reason="nightly"))


@pytest.fixture
def admin(db: None) -> Any:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def entity(admin: Any) -> Entity:
    record = make_record("Bluewave Semiconductor", country="CN", license_policy="case_by_case")
    entity = create_entity(actor=admin, record=record, reason="Federal Register notice")
    run_job(latest_job())
    return entity


@pytest.fixture
def file(reviewer: Any) -> Callable[..., Application]:
    def make(name: str = NAME, *, country: str = "CN", address: str = ADDRESS) -> Application:
        return make_application(
            destination=country, parties=[party(name, country=country, address=address)], submitted=True
        )

    return make


def hit_of(application: Application) -> Hit:
    return Hit.objects.select_related("cleared_by", "lapsed_clearance").get(party__application=application)


@pytest.fixture
def remembered(entity: Entity, file: Callable[..., Application], reviewer: Any) -> RememberedClearance:
    first = file()
    services.clear_hit(
        actor=reviewer, hit=hit_of(first), rationale="A trading house in Shenzhen, not the fab", remember=True
    )
    return RememberedClearance.objects.get()


def test_remembering_a_clearance_keeps_the_party_the_entity_and_the_evidence(
    remembered: RememberedClearance, entity: Entity
) -> None:
    assert remembered.party_name == NAME
    assert remembered.party_country == "CN"
    assert remembered.party_address == ADDRESS
    assert remembered.entity == entity
    assert remembered.entity_hash == entity.content_hash
    assert remembered.list_version == ListVersion.current_number()
    assert remembered.entity_record["name"] == "Bluewave Semiconductor"
    assert remembered.entity_record["license_policy"] == "case_by_case"
    assert remembered.explanation["query_normalised"]
    assert remembered.rationale == "A trading house in Shenzhen, not the fab"
    assert remembered.review_by == timezone.localdate() + timedelta(days=365)
    assert remembered.state == RememberedClearance.State.IN_FORCE
    hit = remembered.hit
    assert hit is not None
    assert hit.status == Hit.Status.CLEARED
    assert "Remembered as clearance" in hit.clearance_note


def test_a_second_request_for_the_same_party_arrives_cleared_by_the_remembered_clearance(
    remembered: RememberedClearance, file: Callable[..., Application]
) -> None:
    # Case, punctuation and spacing are how the same company is typed twice.
    second = file("BLUEWAVE  Semiconductor Trading Co Ltd", address="8 Keji Road Shenzhen")
    hit = hit_of(second)
    assert hit.status == Hit.Status.CLEARED
    assert hit.cleared_by == remembered
    assert hit.reviewed_by is None
    assert str(remembered.application) in hit.clearance_note
    assert not second.needs_attention
    # The use is in the hit's history, attributed to the screening.
    assert hit.history.filter(history_change_reason=f"Cleared by remembered clearance #{remembered.pk}").exists()
    assert services.compute_determination(second).as_dict() == second.determination


def test_a_full_rescreen_keeps_the_remembered_clearance_while_nothing_changed(
    remembered: RememberedClearance, file: Callable[..., Application], admin: Any
) -> None:
    second = file()
    full_rescreen(admin)
    assert hit_of(second).cleared_by == remembered
    assert hit_of(second).status == Hit.Status.CLEARED


def test_an_edit_to_the_entity_reopens_the_hit_and_the_case_says_why(
    remembered: RememberedClearance, entity: Entity, file: Callable[..., Application], admin: Any
) -> None:
    second = file()
    version = remembered.list_version
    update_entity(
        actor=admin,
        entity=entity,
        record=make_record(
            "Bluewave Semiconductor", country="CN", license_policy="case_by_case", aliases=("Bluewave Semi",)
        ),
        reason="alias added",
    )
    run_job(latest_job())
    hit = hit_of(second)
    assert hit.status == Hit.Status.OPEN
    assert hit.cleared_by is None
    assert hit.lapsed_clearance == remembered
    assert hit.clearance_note == (
        f"Remembered clearance #{remembered.pk} (case {remembered.application}) no longer applies: "
        f"the entity's record changed since list version {version}"
    )
    second.refresh_from_db()
    assert second.needs_attention
    assert f"remembered clearance #{remembered.pk} no longer applies" in second.attention_reason
    # A request filed after the change is not cleared either, and says why.
    third = file()
    assert hit_of(third).status == Hit.Status.OPEN
    assert "the entity's record changed" in hit_of(third).clearance_note


def test_a_party_in_another_country_is_not_cleared_and_the_hit_says_why(
    remembered: RememberedClearance, file: Callable[..., Application]
) -> None:
    other = file(country="HK", address=ADDRESS)
    hit = hit_of(other)
    assert hit.status == Hit.Status.OPEN
    assert hit.lapsed_clearance == remembered
    assert "the party's country is HK, not CN as remembered" in hit.clearance_note


def test_a_party_at_another_address_is_not_cleared(
    remembered: RememberedClearance, file: Callable[..., Application]
) -> None:
    hit = hit_of(file(address="1 Fab Avenue, Dongguan"))
    assert hit.status == Hit.Status.OPEN
    assert "address differs" in hit.clearance_note


def test_the_review_date_passing_opens_the_next_hit(
    remembered: RememberedClearance, file: Callable[..., Application], admin: Any
) -> None:
    second = file()
    assert hit_of(second).status == Hit.Status.CLEARED
    yesterday = timezone.localdate() - timedelta(days=1)
    RememberedClearance.objects.filter(pk=remembered.pk).update(review_by=yesterday)
    full_rescreen(admin)
    hit = hit_of(second)
    assert hit.status == Hit.Status.OPEN
    assert f"its review date {yesterday.isoformat()} has passed" in hit.clearance_note
    remembered.refresh_from_db()
    assert remembered.state == RememberedClearance.State.DUE


def test_the_review_period_is_a_setting(
    entity: Entity, file: Callable[..., Application], reviewer: Any, admin: Any
) -> None:
    screening.set_clearance_policy(actor=admin, review_days=30, remember_under_denial=False, reason="quarterly")
    services.clear_hit(actor=reviewer, hit=hit_of(file()), rationale="Not them", remember=True)
    assert RememberedClearance.objects.get().review_by == timezone.localdate() + timedelta(days=30)


def test_revoking_reopens_the_hits_it_cleared_on_open_cases(
    remembered: RememberedClearance, file: Callable[..., Application], compliance_admin: Any
) -> None:
    second = file()
    services.revoke_clearance(actor=compliance_admin, clearance=remembered, reason="The trading house is the fab's")
    hit = hit_of(second)
    assert hit.status == Hit.Status.OPEN
    assert "it was revoked by admin: The trading house is the fab's" in hit.clearance_note
    second.refresh_from_db()
    assert second.needs_attention
    assert second.status == "on_hold"
    remembered.refresh_from_db()
    assert remembered.state == RememberedClearance.State.REVOKED
    assert remembered.revoked_by == compliance_admin
    assert remembered.history.first().history_change_reason == "Revoked: The trading house is the fab's"
    # The next request for the same party is no longer cleared by it.
    assert hit_of(file()).status == Hit.Status.OPEN


def test_only_a_compliance_admin_revokes_and_only_once(
    remembered: RememberedClearance, reviewer: Any, compliance_admin: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.revoke_clearance(actor=reviewer, clearance=remembered, reason="no")
    with pytest.raises(ValidationError):
        services.revoke_clearance(actor=compliance_admin, clearance=remembered, reason="  ")
    services.revoke_clearance(actor=compliance_admin, clearance=remembered, reason="wrong")
    with pytest.raises(Conflict):
        services.revoke_clearance(actor=compliance_admin, clearance=remembered, reason="again")


def test_a_denial_policy_hit_cannot_be_remembered_unless_the_setting_allows_it(
    admin: Any, file: Callable[..., Application], reviewer: Any
) -> None:
    create_entity(actor=admin, record=make_record("Bluewave Semiconductor", country="CN"), reason="FR notice")
    run_job(latest_job())
    hit = hit_of(file())
    assert hit.license_policy == "presumption_of_denial"
    with pytest.raises(ValidationError, match="presumption of denial"):
        services.clear_hit(actor=reviewer, hit=hit, rationale="Not them", remember=True)
    assert not RememberedClearance.objects.exists()
    assert hit_of(hit.party.application).status == Hit.Status.OPEN

    screening.set_clearance_policy(actor=admin, review_days=365, remember_under_denial=True, reason="policy")
    services.clear_hit(actor=reviewer, hit=hit, rationale="Not them", remember=True)
    assert RememberedClearance.objects.get().license_policy == "presumption_of_denial"


def test_this_cases_reviewer_may_still_confirm_a_hit_a_clearance_cleared(
    remembered: RememberedClearance, file: Callable[..., Application], reviewer2: Any, admin: Any
) -> None:
    second = file()
    services.confirm_hit(actor=reviewer2, hit=hit_of(second), rationale="This one is the fab after all")
    full_rescreen(admin)
    hit = hit_of(second)
    assert hit.status == Hit.Status.CONFIRMED
    assert hit.cleared_by is None


def test_an_open_hit_on_another_case_is_cleared_at_its_next_screening(
    entity: Entity, file: Callable[..., Application], reviewer: Any, admin: Any
) -> None:
    first, second = file(), file()
    assert hit_of(second).status == Hit.Status.OPEN
    services.clear_hit(actor=reviewer, hit=hit_of(first), rationale="Not the fab", remember=True)
    full_rescreen(admin)
    assert hit_of(second).cleared_by == RememberedClearance.objects.get()
