"""The four journeys of issue 6, in Debian's Chromium, each ending with a screenshot in test-artifacts/."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_entity, make_user
from tests.lib.cases import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "sales": make_user(Role.SALES, username="sam.sales"),
        "reviewer": make_user(Role.REVIEWER, username="rita.reviewer"),
        "admin": make_user(Role.COMPLIANCE_ADMIN, username="alex.admin"),
        "auditor": make_user(Role.AUDITOR, username="avery.auditor"),
    }


def _listed_huawei(admin: User) -> None:
    make_entity("Huawei Technologies Co., Ltd.", actor=admin, aliases=("Huawei", "Huawei Tech Co"), country="CN")


def _post_forms_other_than_log_out(page: Page) -> list[str]:
    actions = page.eval_on_selector_all(
        "form", "forms => forms.filter(f => f.method.toLowerCase() === 'post').map(f => f.action)"
    )
    return [action for action in actions if not action.endswith("/logout/")]


def test_journey_1_sales_files_a_request_with_a_listed_end_user_and_sees_it_in_review(
    page: Page, people: dict[str, User]
) -> None:
    _listed_huawei(people["admin"])
    log_in(page, people["sales"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New licence request")
    page.select_option("#id_app-type", "export")
    page.select_option("#id_app-destination_country", "CN")
    page.fill("#id_app-end_use", "Housings for consumer routers assembled in Shenzhen")
    page.select_option("#id_parties-0-role", "end_user")
    page.fill("#id_parties-0-name", "HUAWEI TECHNOLOGIES CO LTD")
    page.fill("#id_parties-0-address", "Bantian, Longgang District, Shenzhen")
    page.select_option("#id_parties-0-country", "CN")
    page.fill("#id_items-0-eccn", "EAR99")
    page.fill("#id_items-0-description", "Injection-moulded plastic housings")
    page.fill("#id_items-0-quantity", "1000")
    page.fill("#id_items-0-unit_price", "2.50")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    page.get_by_role("button", name="Submit for review").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Submitted")
    # The applicant sees the request in review, with its screening result pending a reviewer.
    expect(page.get_by_role("heading", name=re.compile(r"Screening hits \(1\)"))).to_be_visible()
    reference = Application.objects.get().reference
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    row = page.get_by_role("row").filter(has_text=str(reference))
    expect(row).to_contain_text("Submitted")


def approve_with_assessment(page: Page, application: Application) -> None:
    """Fill in the decision form as a reviewer approving over a presumption of denial."""
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Rationale", exact=True).fill("EAR99 plastic housings: general merchandise, no technology.")
    page.get_by_label("Conditions").fill("No re-export; end use limited to consumer routers.")
    page.get_by_label("Override reason").fill("Housings carry no controlled technology (Commerce guidance, 2019).")
    for item in application.items.all():
        page.locator(f"#assessment-item-{item.pk}-relevance").fill("Plastic, no technology: no military use.")
    page.get_by_label("The end use").fill("Consumer routers sold in retail.")
    page.get_by_label("Conclusion: no risk to national security").check()
    page.get_by_label("Grounds of the conclusion").fill(
        "Commerce: licences where there is no threat to national security."
    )
    page.get_by_role("button", name="Record decision").click()


def test_journey_2_a_reviewer_confirms_the_hit_and_approves_with_conditions_and_sales_sees_the_licence(
    page: Page, new_page: Callable[[], Page], people: dict[str, User]
) -> None:
    _listed_huawei(people["admin"])
    application = file_request(people["sales"], end_user="Huawei Technologies Co Ltd")
    log_in(page, people["reviewer"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name=str(application.reference)).click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("main")).to_contain_text("assigned to rita.reviewer")
    # The hit and why it matched.
    hit = Hit.objects.get(party__application=application)
    article = page.locator(f"article:has(#hit-{hit.pk})")
    expect(article).to_contain_text("Huawei Technologies Co., Ltd.")
    article.get_by_text("Why this matched").click()
    expect(article).to_contain_text("Normalised")
    article.get_by_label(f"Rationale for hit {hit.pk}").fill("Same company and city as the Entity List entry.")
    article.get_by_role("button", name="Confirm match").click()
    expect(page.locator(f"article:has(#hit-{hit.pk})")).to_contain_text("Confirmed by rita.reviewer")
    # Approve with conditions; a presumption of denial needs the national-security assessment
    # and a second reviewer's countersignature.
    approve_with_assessment(page, application)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting countersignature")
    second = new_page()
    log_in(second, make_user(Role.REVIEWER, username="sol.second"))
    second.goto(f"/licensing/{application.pk}/")
    second.get_by_label("Agree: the licence issues").check()
    second.get_by_role("button", name="Countersign").click()
    expect(second.get_by_role("heading", name=re.compile("Decision: Approved"))).to_be_visible()
    expect(second.locator("main")).to_contain_text("Countersigned by sol.second")

    sales_page = new_page()
    log_in(sales_page, people["sales"])
    sales_page.get_by_role("navigation", name="Main").get_by_role("link", name="My requests").click()
    sales_page.get_by_role("link", name=str(application.reference)).click()
    decision = sales_page.get_by_role("region", name=re.compile("Decision"))
    expect(decision).to_contain_text("No re-export; end use limited to consumer routers.")
    expect(decision).to_contain_text(re.compile(r"Licence CL"))
    sales_page.screenshot(path=str(ARTIFACTS / "journey_2_sales_sees_the_licence.png"), full_page=True)


@pytest.mark.worker
def test_journey_3_an_admin_lists_a_party_of_an_open_request_and_the_reviewer_sees_why_within_seconds(
    page: Page, new_page: Callable[[], Page], people: dict[str, User], start_worker: Callable[..., object]
) -> None:
    application = file_request(people["sales"], end_user="Zhongxing Microwave Components Ltd")
    assert not Hit.objects.filter(party__application=application).exists()
    start_worker()
    log_in(page, people["admin"])
    page.goto("/entities/new/")
    page.get_by_label(re.compile(r"^Name")).fill("Zhongxing Microwave Components Co., Ltd.")
    page.get_by_label(re.compile(r"^Licence review policy")).select_option("presumption_of_denial")
    page.get_by_label(re.compile(r"^Licence requirement")).fill("For all items subject to the EAR.")
    page.get_by_label(re.compile(r"^Addresses")).fill("1 Keji Road | Xi'an | CN")
    page.get_by_label(re.compile(r"^Reason for this change")).fill("Added by 89 FR 12345 (test)")
    started = time.monotonic()
    page.get_by_role("button", name="Add to the list").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zhongxing Microwave Components")

    deadline = started + 20
    while time.monotonic() < deadline:
        application.refresh_from_db()
        if application.needs_attention:
            break
        time.sleep(0.25)
    flagged_after = time.monotonic() - started
    assert application.needs_attention, "the open request was not flagged within 20 s"
    (ARTIFACTS / "journey_3_flagged_after_seconds.txt").write_text(f"{flagged_after:.2f}\n")

    reviewer = new_page()
    log_in(reviewer, people["reviewer"])
    reviewer.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    row = reviewer.get_by_role("row").filter(has_text=str(application.reference))
    expect(row).to_contain_text("attention")
    row.get_by_role("link", name=str(application.reference)).click()
    expect(reviewer.locator("main")).to_contain_text("Needs attention")
    hit = Hit.objects.get(party__application=application)
    article = reviewer.locator(f"article:has(#hit-{hit.pk})")
    expect(article).to_contain_text("Zhongxing Microwave Components Co., Ltd.")
    article.get_by_text("Why this matched").click()
    expect(article).to_contain_text("Tokens")
    reviewer.screenshot(path=str(ARTIFACTS / "journey_3_reviewer_sees_why.png"), full_page=True)


def test_journey_4_an_auditor_reads_the_timeline_exports_the_case_file_and_finds_nothing_to_change(
    page: Page, people: dict[str, User]
) -> None:
    _listed_huawei(people["admin"])
    application = file_request(people["sales"], end_user="Huawei Technologies Co Ltd")
    hit = Hit.objects.get(party__application=application)
    reviewer = people["reviewer"]
    services.assign(actor=reviewer, application=application)
    services.confirm_hit(actor=reviewer, hit=hit, rationale="Same company.")
    services.decide(
        actor=reviewer,
        application=application,
        outcome="denied",
        rationale="Presumption of denial; routers are not general merchandise here.",
    )
    log_in(page, people["auditor"])
    assert _post_forms_other_than_log_out(page) == []
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    assert _post_forms_other_than_log_out(page) == []
    # The queue shows open cases; the auditor filters for decided ones.
    page.get_by_label(re.compile(r"^Status")).select_option(["denied"])
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=str(application.reference)).click()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Submitted")
    expect(timeline).to_contain_text("rita.reviewer")
    expect(timeline).to_contain_text("Presumption of denial; routers are not general merchandise here.")
    assert _post_forms_other_than_log_out(page) == [], "an auditor must find no control that changes data"
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)

    page.goto(f"/licensing/{application.pk}/case-file/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Case file {application.reference}")
    expect(page.get_by_role("region", name="Screening results")).to_contain_text("Why it matched")
    expect(page.get_by_role("region", name="Decision")).to_contain_text("Denied")
    assert _post_forms_other_than_log_out(page) == []
    # The PDF is rendered on the server (fonts included): give a loaded CI machine time.
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="Download PDF").click(timeout=60_000)
    pdf = Path(ARTIFACTS / f"journey_4_case_file_{application.reference}.pdf")
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
