"""An auditor finds a decided request by a party's name from the queue's search, and opens it.
Screenshot in test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lib.roles import Role
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_user
from tests.lib.cases import decide_request, file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_finds_a_decided_request_by_party_name(page: Page) -> None:
    sales = make_user(Role.SALES, username="sam.sales")
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    auditor = make_user(Role.AUDITOR, username="avery.auditor")
    decided = file_request(sales, end_user="Shenzhen Widget Trading Ltd")
    decide_request(reviewer, decided, outcome="denied")
    file_request(sales, end_user="Maple Leaf Instruments Ltd", country="CA")

    log_in(page, auditor)
    page.goto("/licensing/queue/")
    expect(page.get_by_role("link", name=str(decided.reference))).to_have_count(0)
    page.get_by_label("Search").fill("widget trading")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_text("1 request", exact=True)).to_be_visible()
    page.get_by_role("link", name=str(decided.reference)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(decided.reference))
    expect(page.get_by_role("heading", name=re.compile("Decision: Denied"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "auditor_search_found.png"), full_page=False)
