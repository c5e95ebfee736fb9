"""Issue 14's journey: a remembered false positive clears the next request, until the entity changes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from lib.roles import Role
from licensing.models import Hit, RememberedClearance
from tests.browser.conftest import log_in
from tests.factories import make_entity, make_user
from tests.lib.cases import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPANY = "Bluewave Semiconductor Trading Co Ltd"


def test_a_remembered_clearance_clears_the_next_request_until_an_admin_edits_the_entity(
    page: Page, new_page: Callable[[], Page]
) -> None:
    sales = make_user(Role.SALES, username="sam.sales")
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    admin = make_user(Role.COMPLIANCE_ADMIN, username="alex.admin")
    entity = make_entity("Bluewave Semiconductor", actor=admin, license_policy="case_by_case", country="CN")
    first = file_request(sales, end_user=COMPANY)

    # The reviewer clears the false positive and remembers it.
    log_in(page, reviewer)
    page.goto(f"/licensing/{first.pk}/")
    hit = Hit.objects.get(party__application=first)
    article = page.locator(f"article:has(#hit-{hit.pk})")
    article.get_by_label(f"Rationale for hit {hit.pk}").fill("A Shenzhen trading house, not the listed fab.")
    article.get_by_label(re.compile("Remember this clearance")).check()
    article.get_by_role("button", name="Clear as false positive").click()
    expect(page.locator(".messages")).to_contain_text("cleared as a false positive and remembered")
    clearance = RememberedClearance.objects.get()

    # A second request for the same company arrives cleared, with the link to the clearance.
    second = file_request(sales, end_user=COMPANY.upper())
    page.goto(f"/licensing/{second.pk}/")
    second_hit = Hit.objects.get(party__application=second)
    article = page.locator(f"article:has(#hit-{second_hit.pk})")
    expect(article).to_contain_text(f"Cleared by remembered clearance #{clearance.pk}")
    expect(article).to_contain_text(f"made on case {first.reference}")
    article.get_by_role("link", name=f"Remembered clearance #{clearance.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Remembered clearance #{clearance.pk}")
    expect(page.locator("main")).to_contain_text("A Shenzhen trading house, not the listed fab.")
    expect(page.get_by_role("link", name=str(first.reference))).to_be_visible()

    # An admin edits the entity; the re-screen that follows opens the hit again, saying why.
    admin_page = new_page()
    log_in(admin_page, admin)
    admin_page.goto(f"/entities/{entity.pk}/edit/")
    admin_page.get_by_label(re.compile(r"^Aliases")).fill("Bluewave Semi")
    admin_page.get_by_label(re.compile(r"^Reason for this change")).fill("Alias added by 90 FR 1234 (test)")
    admin_page.get_by_role("button", name="Save changes").click()
    expect(admin_page.get_by_role("heading", level=1)).to_contain_text("Bluewave Semiconductor")

    page.goto(f"/licensing/{second.pk}/")
    article = page.locator(f"article:has(#hit-{second_hit.pk})")
    expect(article.locator(".badge")).to_have_text("Open")
    expect(article).to_contain_text(f"Remembered clearance #{clearance.pk}")
    expect(article).to_contain_text("no longer applies: the entity's record changed since list version")
