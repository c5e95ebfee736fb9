"""The review conversation of issue 12 in Debian's Chromium: questions, the second sign-off, and disagreement."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from lib.roles import Role
from licensing import services
from licensing.models import Application, Hit, Licence
from tests.browser.conftest import ARTIFACTS, log_in
from tests.browser.test_journeys import approve_with_assessment
from tests.factories import make_entity, make_user
from tests.lib.cases import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "sales": make_user(Role.SALES, username="sam.sales"),
        "reviewer": make_user(Role.REVIEWER, username="rita.reviewer"),
        "second": make_user(Role.REVIEWER, username="sol.second"),
        "admin": make_user(Role.COMPLIANCE_ADMIN, username="alex.admin"),
    }


def test_conversation_1_a_reviewer_asks_sales_answers_with_a_document_and_the_reviewer_approves(
    page: Page, new_page: Callable[[], Page], people: dict[str, User], tmp_path: Path, settings: object
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    application = file_request(people["sales"], end_user="Maple Leaf Instruments Ltd", country="CA")
    log_in(page, people["reviewer"])
    page.goto(f"/licensing/{application.pk}/")
    page.get_by_label("Question to the applicant").fill("Please send the end-user statement, signed.")
    page.get_by_role("button", name="Ask the applicant").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting applicant")
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()

    sales = new_page()
    log_in(sales, people["sales"])
    expect(sales.get_by_role("region", name="Questions waiting for your answer")).to_contain_text(
        "Please send the end-user statement"
    )
    sales.get_by_role("link", name=str(application.reference)).first.click()
    statement = tmp_path / "end-user-statement.txt"
    statement.write_text("We, Maple Leaf Instruments, will use the supplies in our teaching lab.")
    sales.get_by_label("Your answer to question 1").fill("Signed statement attached.")
    sales.get_by_label("Documents (optional)").set_input_files(str(statement))
    sales.get_by_role("button", name="Send answer").click()
    expect(sales.locator(".messages")).to_contain_text("back with the reviewer")
    expect(sales.get_by_role("link", name="end-user-statement.txt").first).to_be_visible()
    sales.screenshot(path=str(ARTIFACTS / "conversation_1_sales_answered.png"), full_page=True)

    page.goto("/licensing/queue/?conversation=reply")
    expect(page.get_by_role("row").filter(has_text=str(application.reference))).to_contain_text("reply received")
    page.get_by_role("link", name=str(application.reference)).click()
    expect(page.locator("main")).to_contain_text("Signed statement attached.")
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Rationale", exact=True).fill("End-user statement received; EAR99 to a university lab.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("heading", name=re.compile("Decision: Approved"))).to_be_visible()
    assert Licence.objects.filter(application=application).exists()


@pytest.mark.shared_data
def test_conversation_2_the_huawei_case_on_the_2022_list_is_countersigned_and_the_pdf_shows_the_assessment(
    page: Page, new_page: Callable[[], Page], people: dict[str, User], shared_data: Path
) -> None:
    call_command("import_list", str(shared_data / "csl" / "consolidated-2022-05.csv"), verbosity=0)
    application = file_request(people["sales"], end_user="Huawei Technologies Co Ltd")
    hits = list(Hit.objects.filter(party__application=application).select_related("entity"))
    main = next(h for h in hits if h.entity.source == "EL" and h.entity.name.startswith("Huawei Technologies Co"))
    assert main.license_policy == "presumption_of_denial"
    for other in hits:  # the affiliates and look-alikes: arranged, not the subject of this journey
        if other.pk != main.pk:
            services.clear_hit(actor=people["second"], hit=other, rationale="Another Huawei affiliate's entry.")
    log_in(page, people["reviewer"])
    page.goto(f"/licensing/{application.pk}/")
    article = page.locator(f"article:has(#hit-{main.pk})")
    article.get_by_label(f"Rationale for hit {main.pk}").fill("The party is Huawei Technologies Co., Ltd. itself.")
    article.get_by_role("button", name="Confirm match").click()
    approve_with_assessment(page, application)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting countersignature")
    expect(page.locator("main")).to_contain_text("You approved this request: another reviewer countersigns it.")

    second = new_page()
    log_in(second, people["second"])
    second.goto(f"/licensing/{application.pk}/")
    expect(second.get_by_role("region", name="Second sign-off")).to_contain_text("overrides a presumption")
    second.get_by_label("Agree: the licence issues").check()
    second.get_by_role("button", name="Countersign").click()
    expect(second.get_by_role("heading", name=re.compile("Decision: Approved"))).to_be_visible()
    expect(second.locator("main")).to_contain_text(re.compile(r"Licence CL-"))
    second.screenshot(path=str(ARTIFACTS / "conversation_2_countersigned.png"), full_page=True)

    # The case file holds every hit's explanation: dozens of Huawei affiliates make a long PDF.
    pdf = second.request.get(f"/licensing/{application.pk}/case-file.pdf", timeout=180_000)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    text = " ".join(text.split())
    assert "National-security assessment" in text
    assert "No risk to national security" in text
    assert "Countersigned by sol.second" in text


def test_conversation_3_the_countersigner_disagrees_and_the_case_goes_back(
    page: Page, new_page: Callable[[], Page], people: dict[str, User]
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", actor=people["admin"], aliases=("Huawei",), country="CN")
    application = file_request(people["sales"], end_user="Huawei Technologies Co Ltd")
    services.confirm_hit(actor=people["reviewer"], hit=Hit.objects.get(), rationale="Same company.")
    log_in(page, people["reviewer"])
    page.goto(f"/licensing/{application.pk}/")
    approve_with_assessment(page, application)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting countersignature")

    second = new_page()
    log_in(second, people["second"])
    second.goto(f"/licensing/{application.pk}/")
    second.get_by_label("Disagree: back to the decider").check()
    second.get_by_label("Reason", exact=True).fill("The routers' firmware is 5D002, not EAR99: reclassify first.")
    second.get_by_role("button", name="Countersign").click()
    expect(second.locator(".messages")).to_contain_text("Sent back to the decider")
    expect(second.get_by_role("heading", level=1)).to_contain_text("In review")

    page.reload()
    expect(page.get_by_role("region", name="Second sign-off")).to_contain_text("reclassify first")
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "conversation_3_sent_back.png"), full_page=True)
    assert Application.objects.get(pk=application.pk).assigned_to == people["reviewer"]
    assert not Licence.objects.filter(application=application).exists()
