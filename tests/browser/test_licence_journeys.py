"""The licence journeys of issue 13 in Debian's Chromium, each ending with a screenshot in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.rescreen import chunks
from entities.services import create_entity
from lib.roles import Role
from licensing import services
from licensing.models import Hit, Licence
from licensing.status import LicenceStatus
from tests.browser.conftest import log_in
from tests.factories import make_entity, make_record, make_user
from tests.licensing.factories import item, make_application, make_licence, party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "sales": make_user(Role.SALES, username="sam.sales"),
        "reviewer": make_user(Role.REVIEWER, username="rita.reviewer"),
        "admin": make_user(Role.COMPLIANCE_ADMIN, username="alex.admin"),
    }


def _ship(page: Page, licence: Licence, *, reference: str, quantity: str, value: str) -> None:
    line = licence.application.items.get()
    page.goto(f"/licensing/licences/{licence.pk}/")
    page.get_by_label("Shipped on").fill(timezone.localdate().isoformat())
    page.get_by_label("Order or invoice number").fill(reference)
    page.get_by_label("Consignee").select_option(str(licence.application.parties.get().pk))
    page.fill(f"#id_quantity_{line.pk}", quantity)
    page.fill(f"#id_value_{line.pk}", value)
    page.get_by_role("button", name="Record shipment").click()
    expect(page.get_by_text(f"Shipment {reference} recorded")).to_be_visible()


def test_journey_approve_ship_twice_and_the_licence_is_exhausted(page: Page, people: dict[str, User]) -> None:
    application = make_application(applicant=people["sales"], submitted=True, items=[item(quantity="10")])
    log_in(page, people["reviewer"])
    page.goto(f"/licensing/{application.pk}/")
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Rationale").fill("General merchandise to a university.")
    page.get_by_role("button", name="Record decision").click()
    licence = Licence.objects.get(application=application)
    page.get_by_role("link", name=str(licence.number)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Active")
    page.get_by_role("button", name="Log out").click()

    log_in(page, people["sales"])
    _ship(page, licence, reference="SO-1", quantity="6", value="150")
    _ship(page, licence, reference="SO-2", quantity="4", value="100")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Exhausted")
    expect(page.get_by_role("heading", name="Record a shipment")).to_have_count(0)
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.EXHAUSTED


def test_journey_a_list_change_holds_the_licence_and_a_reviewer_releases_it(
    page: Page, people: dict[str, User]
) -> None:
    licence = make_licence(
        applicant=people["sales"],
        reviewer=people["reviewer"],
        destination="CN",
        parties=[party("Harbin Polar Optics Institute", country="CN")],
    )
    create_entity(actor=people["admin"], record=make_record("Harbin Polar Optics Institute"), reason="84 FR 22961")
    job = RescreenJob.objects.order_by("-pk").first()
    assert job is not None
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.ON_HOLD

    log_in(page, people["reviewer"])
    page.goto(f"/licensing/licences/{licence.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("On hold")
    expect(page.get_by_text("1 screening hit(s) still open")).to_be_visible()
    page.get_by_role("link", name="Review the hits on the request").click()
    hit = Hit.objects.get(party__application=licence.application)
    page.get_by_label(f"Rationale for hit {hit.pk}").fill("Different institute: address and founding year differ.")
    page.get_by_role("button", name="Clear as false positive").click()
    page.goto(f"/licensing/licences/{licence.pk}/")
    page.get_by_label("Reason").fill("The hit was a false positive; shipping may resume.")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Active")
    expect(page.get_by_text("Licence " + str(licence.number) + ": released.")).to_be_visible()


def test_journey_an_admin_revokes_every_licence_of_a_newly_tightened_entity(
    page: Page, people: dict[str, User]
) -> None:
    entity = make_entity("Harbin Polar Optics Institute", actor=people["admin"], license_policy="case_by_case")
    numbers = []
    for _ in range(2):
        application = make_application(
            applicant=people["sales"],
            assigned_to=people["reviewer"],
            destination="CN",
            parties=[party("Harbin Polar Optics Institute", country="CN")],
        )
        hit = Hit.objects.get(party__application=application)
        services.confirm_hit(actor=people["reviewer"], hit=hit, rationale="It is them; civil optics.")
        services.decide(actor=people["reviewer"], application=application, outcome="approved", rationale="Civil.")
        # A confirmed hit needs a second sign-off (SignOffPolicy, issue 12): another reviewer agrees.
        services.countersign(actor=make_user(Role.REVIEWER), application=application, agree=True)
        numbers.append(str(Licence.objects.get(application=application).number))

    log_in(page, people["admin"])
    page.goto(f"/entities/{entity.pk}/")
    page.get_by_role("link", name="Suspend or revoke its licences").click()
    page.get_by_label("Revoke").check()
    page.get_by_role("textbox", name="Reason").fill("Review policy now presumption of denial.")
    page.get_by_role("button", name="Preview the licences").click()
    for number in numbers:
        expect(page.get_by_role("link", name=number)).to_be_visible()
    page.get_by_role("button", name="Revoke 2 licence(s)").click()
    page.wait_for_url(re.compile(rf"/entities/{entity.pk}/$"))
    expect(page.get_by_text("Revoke: 2 licence(s) touching Harbin Polar Optics Institute.")).to_be_visible()
    assert set(Licence.objects.values_list("status", flat=True)) == {LicenceStatus.REVOKED}
