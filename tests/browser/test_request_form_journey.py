"""Issue 16 in Debian's Chromium: the request form a salesperson fills with the keyboard alone,
rows added and removed in the page, copying a request, and axe-core finding nothing serious."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from lib.roles import Role
from licensing.models import Application
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_user
from tests.lib.cases import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands (axe ships in the package)."""
    results: Any = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def sales() -> User:
    return make_user(Role.SALES, username="sam.sales")


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_salesperson_adds_and_removes_rows_with_the_keyboard_and_everything_typed_is_saved(
    page: Page, sales: User
) -> None:
    log_in(page, sales)
    page.goto("/licensing/new/")
    assert serious_violations(page) == []
    page.select_option("#id_app-destination_country", "CA")
    page.fill("#id_app-end_use", "Calibration of laboratory instruments")
    # The first three rows are the page's own; a fourth comes from "Add a party", by keyboard.
    page.get_by_role("button", name="Add a party").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_parties-3-role")).to_be_focused()
    expect(page.get_by_role("group", name="Party 4")).to_be_visible()
    page.keyboard.press("End")  # the last role: end user
    page.keyboard.press("Tab")
    page.keyboard.type("Canada")  # the country select jumps to the typed name
    page.keyboard.press("Tab")
    page.keyboard.type("Maple Leaf Instruments Ltd")
    page.keyboard.press("Tab")
    page.keyboard.type("100 Bank Street, Ottawa")
    # Party 2 is not needed: removed with the keyboard; the rows after it are renumbered.
    page.get_by_role("button", name="Remove party 2").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Party 4")).to_have_count(0)
    expect(page.get_by_role("button", name="Add a party")).to_be_focused()
    expect(page.locator("#row-status")).to_have_text("Party 2 removed.")
    page.select_option("#id_parties-0-role", "purchaser")
    page.fill("#id_parties-0-name", "Maple Trading Inc")
    page.select_option("#id_parties-0-country", "CA")
    page.get_by_role("button", name="Add an item").click()
    page.fill("#id_items-2-eccn", "3X991")
    page.fill("#id_items-2-description", "Frequency counters")
    page.fill("#id_items-2-quantity", "4")
    page.fill("#id_items-2-unit_price", "250")
    page.get_by_role("button", name="Save draft").click()
    # Refused beside the field, with every row typed still there (the added ones too).
    eccn = page.locator("#id_items-2-eccn")
    expect(eccn).to_have_value("3X991")
    item_row = page.get_by_role("group", name=re.compile(r"^Item \d")).filter(has=eccn)
    expect(item_row).to_contain_text("Enter an ECCN such as 5A002")
    expect(page.locator("#id_parties-3-name")).to_have_value("Maple Leaf Instruments Ltd")
    assert not Application.objects.exists()
    eccn.fill("3A991")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    application = Application.objects.get()
    assert list(application.parties.values_list("role", "name", "country")) == [
        ("purchaser", "Maple Trading Inc", "CA"),
        ("end_user", "Maple Leaf Instruments Ltd", "CA"),
    ]
    assert list(application.items.values_list("eccn", "quantity")) == [("3A991", 4)]


def test_a_salesperson_copies_an_earlier_request_into_a_new_draft(page: Page, sales: User) -> None:
    source = file_request(sales, end_user="Maple Leaf Instruments Ltd", country="CA")
    log_in(page, sales)
    page.goto(f"/licensing/{source.pk}/")
    page.get_by_role("button", name="Copy into a new draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit draft")
    expect(page.locator(".messages")).to_contain_text(f"copied from {source.reference}")
    expect(page.locator("#id_parties-0-name")).to_have_value("Maple Leaf Instruments Ltd")
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "request_form_copied_draft.png"), full_page=True)
