"""A reviewer clears three hits on entries of one name at once, with one rationale, and the page
comes back to the hits rather than its top. Screenshot in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lib.roles import Role
from licensing.models import Hit
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_entity, make_user
from tests.licensing.factories import make_application, party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "Zhongxing Microwave Components Co., Ltd."


def test_a_reviewer_clears_three_hits_at_once(page: Page) -> None:
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    for source, country in (("EL", "CN"), ("EL", "HK"), ("MEU", "CN")):
        make_entity(NAME, source=source, country=country)
    case = make_application(
        destination="CN",
        parties=[party("Zhongxing Microwave Components", country="CN", address="3 Gaoxin Road, Xi'an")],
        assigned_to=reviewer,
    )
    hits = list(Hit.objects.filter(party__application=case).order_by("pk"))
    assert len(hits) == 3

    log_in(page, reviewer)
    page.goto(f"/licensing/{case.pk}/")
    expect(page.get_by_role("heading", name=re.compile(rf"Listed as {re.escape(NAME)}"))).to_be_visible()
    for hit in hits:
        page.get_by_role("checkbox", name=re.compile(rf"Tick hit {hit.pk} \(")).check()
    page.get_by_label("Rationale for the ticked hits").fill("Our customer is a university lab in Xi'an, not this firm")
    page.get_by_role("button", name="Clear ticked hits as false positives").click()

    page.wait_for_url(re.compile(r"#hits-heading$"))
    expect(page.get_by_text("3 hits cleared as false positives.")).to_be_in_viewport()
    expect(page.get_by_role("heading", name=re.compile(r"Screening hits \(3\)"))).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / "bulk_review_three_cleared.png"), full_page=False)
    assert {h.status for h in Hit.objects.filter(party__application=case)} == {Hit.Status.CLEARED}
