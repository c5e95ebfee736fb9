"""A reviewer's verdict on a hit stands for as long as what it rested on holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen import chunks
from entities.models import Entity
from entities.services import create_entity, update_entity
from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit
from licensing.status import Status
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party

NAME = "Shenzhen Bluewave Semiconductor"


def run_latest_job() -> None:
    job = RescreenJob.objects.order_by("-pk").first()
    assert job is not None
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)


@pytest.fixture
def admin(db: None) -> Any:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def case(db: None, reviewer: Any) -> Application:
    applicant = make_user(Role.SALES, username="applicant")
    applicant.email = "applicant@example.com"
    applicant.save()
    return make_application(
        applicant=applicant,
        destination="CN",
        parties=[party(f"{NAME} Co., Ltd.", country="CN", address="8 Keji Road, Shenzhen")],
        assigned_to=reviewer,
    )


@pytest.fixture
def listed(admin: Any, case: Application) -> Entity:
    entity = create_entity(actor=admin, record=make_record(NAME, country="CN"), reason="89 FR 1000")
    run_latest_job()
    return entity


def review(case: Application, reviewer: Any, verdict: Callable[..., Hit], rationale: str) -> Hit:
    services.resume(actor=reviewer, application=case, reason="looking")
    return verdict(actor=reviewer, hit=Hit.objects.get(), rationale=rationale)


def edit(admin: Any, entity: Entity, reason: str, **changes: Any) -> None:
    update_entity(actor=admin, entity=entity, record=make_record(NAME, country="CN", **changes), reason=reason)
    run_latest_job()


def test_a_confirmed_hit_stays_confirmed_when_its_entity_gains_an_alias(
    case: Application, listed: Entity, admin: Any, reviewer2: Any, django_capture_on_commit_callbacks: Any
) -> None:
    review(case, reviewer2, services.confirm_hit, "Same company: same address in Shenzhen")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        edit(admin, listed, "alias added by 90 FR 2000", aliases=("Bluewave Semi",))

    hit = Hit.objects.get()
    assert hit.status == Hit.Status.CONFIRMED
    assert hit.rationale == "Same company: same address in Shenzhen"
    assert hit.reviewed_by == reviewer2
    assert not mail.outbox, "a confirmed hit is not a new screening hit"
    case.refresh_from_db()
    assert case.status != Status.ON_HOLD


def test_a_cleared_hit_stays_cleared_when_only_the_citation_or_requirement_changes(
    case: Application, listed: Entity, admin: Any, reviewer2: Any
) -> None:
    review(case, reviewer2, services.clear_hit, "Different company: Bluewave Semiconductor is in Dalian")
    edit(
        admin,
        listed,
        "requirement widened by 90 FR 3000",
        federal_register_notice="90 FR 3000",
        license_requirement="For all items subject to the EAR. See §§ 734.9(e), 744.11.",
    )
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.CLEARED
    assert hit.license_requirement == "For all items subject to the EAR. See §§ 734.9(e), 744.11."


def test_a_cleared_hit_reopens_when_the_entity_gains_an_address_and_says_why(
    case: Application, listed: Entity, admin: Any, reviewer2: Any
) -> None:
    from entities.records import AddressRecord

    review(case, reviewer2, services.clear_hit, "Different company: Bluewave Semiconductor is in Dalian")
    update_entity(
        actor=admin,
        entity=listed,
        record=make_record(NAME, country="CN").__class__(
            **{
                **make_record(NAME, country="CN").__dict__,
                "addresses": (
                    AddressRecord(address="1 Test Road", country="CN"),
                    AddressRecord(address="8 Keji Road, Shenzhen", country="CN"),
                ),
            }
        ),
        reason="address added by 90 FR 4000",
    )
    run_latest_job()
    hit = Hit.objects.get()
    assert hit.status == Hit.Status.OPEN
    assert "names, aliases or addresses changed" in hit.history.latest().history_change_reason


def test_the_hit_card_keeps_earlier_verdicts_after_a_hit_reopens(
    case: Application, listed: Entity, admin: Any, reviewer2: Any, client_for: Callable[..., Any]
) -> None:
    review(case, reviewer2, services.clear_hit, "Different company: Bluewave Semiconductor is in Dalian")
    edit(admin, listed, "alias added by 90 FR 2000", aliases=("Bluewave Semi",))
    assert Hit.objects.get().status == Hit.Status.OPEN

    page = client_for(reviewer2).get(reverse("licensing:detail", args=[case.pk])).content.decode()
    assert "Earlier verdicts" in page
    assert "Different company: Bluewave Semiconductor is in Dalian" in page
    assert "Cleared (false positive) by" in page
