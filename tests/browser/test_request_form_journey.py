"""Issue 16 in Debian's Chromium: the request form a salesperson fills with the keyboard alone,
rows added and removed in the page, copying a request, and axe-core finding nothing serious."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from lib.roles import Role
from licensing import catalogue, services
from licensing.catalogue import ProductData
from licensing.models import AddressBookEntry, Application
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_entity, make_user
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


def test_a_salesperson_picks_a_party_and_a_confirmed_product_sees_the_live_warning_copies_and_submits(
    page: Page, new_page: Callable[[], Page], sales: User
) -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN, username="alex.admin")
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    make_entity(
        "Huawei Technologies Co., Ltd.",
        actor=admin,
        aliases=("Huawei",),
        country="CN",
        license_policy="presumption_of_denial",
        license_policy_text="Presumption of denial.",
        source_name="Entity List (EL) - Bureau of Industry and Security",
    )
    # An earlier request put the purchaser in the address book; a reviewer confirmed the router.
    file_request(sales, end_user="Pearl River Trading Co", country="CN", submit=False)
    router = catalogue.save_product(
        actor=sales,
        data=ProductData(description="Enterprise router", model="RX-7", manufacturer="Acme Networks", eccn="5A992"),
    )
    services.confirm_classification(actor=reviewer, product=router, eccn="5A992.c", reasons_for_control="AT1")

    log_in(page, sales)
    page.goto("/licensing/new/")
    page.select_option("#id_app-destination_country", "CN")
    page.fill("#id_app-end_use", "Campus network for a telecoms customer")
    # Party 1 from the address book, by keyboard: type, Enter to the first result, Enter to pick.
    page.get_by_label("Find in the address book").first.focus()
    page.keyboard.type("pearl")
    expect(page.get_by_role("button", name=re.compile(r"^Use Pearl River Trading Co")).first).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#id_parties-0-name")).to_have_value("Pearl River Trading Co")
    expect(page.locator("#id_parties-0-country")).to_have_value("CN")
    expect(page.locator("#id_parties-0-role")).to_be_focused()
    page.select_option("#id_parties-0-role", "purchaser")
    # A listed end user: the warning appears after a pause, with why on demand, and never blocks.
    page.select_option("#id_parties-1-role", "end_user")
    page.select_option("#id_parties-1-country", "CN")
    page.fill("#id_parties-1-name", "HUAWEI TECH CO LTD")
    party_2 = page.get_by_role("group", name="Party 2")
    warning = party_2.locator("[data-screening]")
    expect(warning).to_contain_text(
        "Possible match: Huawei Technologies Co., Ltd. on the Entity List (presumption of denial); "
        "a reviewer will check it"
    )
    warning.get_by_text("Why this may match").click()
    expect(warning).to_contain_text("with a score of")
    page.screenshot(path=str(ARTIFACTS / "request_form_live_warning.png"), full_page=True)
    # Item 1 from the catalogue: the confirmed router fills the row.
    page.get_by_label("Find in the product catalogue").first.fill("router")
    page.get_by_role("button", name=re.compile(r"^Use Enterprise router.*confirmed")).click()
    expect(page.locator("#id_items-0-eccn")).to_have_value("5A992.c")
    expect(page.locator("#id_items-0-model")).to_have_value("RX-7")
    expect(page.get_by_role("group", name="Item 1")).to_contain_text(
        "confirmed classification 5A992.c by rita.reviewer"
    )
    page.fill("#id_items-0-quantity", "20")
    page.fill("#id_items-0-unit_price", "900")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    draft = Application.objects.get(parties__name="HUAWEI TECH CO LTD")
    assert draft.items.get().product == router

    # Copy it, then submit the copy: the submit-time screening is the record.
    page.get_by_role("button", name="Copy into a new draft").click()
    expect(page.locator(".messages")).to_contain_text(f"copied from {draft.reference}")
    expect(page.get_by_role("group", name="Item 1")).to_contain_text("confirmed classification 5A992.c")
    page.get_by_role("link", name="Back to the request").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submitted")
    expect(page.get_by_role("heading", name=re.compile(r"Screening hits \(1\)"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Confirmed classification")
    page.screenshot(path=str(ARTIFACTS / "request_form_copy_submitted.png"), full_page=True)


def test_a_reviewer_confirms_a_products_classification(page: Page, sales: User) -> None:
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    product = catalogue.save_product(actor=sales, data=ProductData(description="Bench oscilloscope", eccn="3A992"))
    log_in(page, reviewer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    expect(page.get_by_role("row").filter(has_text="Bench oscilloscope")).to_contain_text("Self-classified")
    page.get_by_role("link", name="Bench oscilloscope").click()
    page.get_by_label("Confirmed ECCN").fill("3A992.a")
    page.get_by_label("Note").fill("Checked against the data sheet: 3A992.a.")
    page.get_by_role("button", name="Confirm classification").click()
    expect(page.get_by_role("region", name=re.compile("Classification"))).to_contain_text("Confirmed by rita.reviewer")
    expect(page.get_by_role("region", name="History")).to_contain_text("Classification confirmed: 3A992.a")
    assert serious_violations(page) == []
    product.refresh_from_db()
    assert product.is_confirmed and product.classified_by == reviewer


PAGES_BY_ROLE = {
    Role.SALES: [
        "/licensing/new/",
        "/licensing/{draft}/edit/",
        "/licensing/products/",
        "/licensing/products/new/",
        "/licensing/products/{product}/",
        "/licensing/address-book/",
        "/licensing/address-book/{entry}/edit/",
    ],
    Role.REVIEWER: ["/licensing/products/", "/licensing/products/{product}/", "/licensing/{submitted}/"],
    Role.COMPLIANCE_ADMIN: [
        "/licensing/address-book/",
        "/licensing/address-book/{entry}/edit/",
        "/licensing/products/{product}/",
    ],
    Role.AUDITOR: ["/licensing/products/", "/licensing/address-book/", "/licensing/{submitted}/"],
}


@pytest.mark.parametrize("role", list(PAGES_BY_ROLE), ids=[r.value for r in PAGES_BY_ROLE])
def test_the_form_catalogue_and_address_book_pages_have_no_serious_accessibility_violations(
    page: Page, sales: User, role: Role
) -> None:
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    product = catalogue.save_product(actor=sales, data=ProductData(description="Enterprise router", eccn="5A992"))
    services.confirm_classification(actor=reviewer, product=product, eccn="5A992", reasons_for_control="AT1")
    draft = file_request(sales, submit=False)
    submitted = file_request(sales)
    entry = AddressBookEntry.objects.order_by("pk")[0]
    ids = {"draft": draft.pk, "submitted": submitted.pk, "product": product.pk, "entry": entry.pk}
    user = sales if role == Role.SALES else make_user(role, username=f"{role.value.lower().replace(' ', '.')}.user")
    log_in(page, user)
    for path in PAGES_BY_ROLE[role]:
        page.goto(path.format(**ids))
        expect(page.locator("h1")).to_be_visible()
        assert serious_violations(page) == [], f"{path} as {role.value}"
