from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from lib.roles import Role
from tests.browser.conftest import log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Integration accounts are order systems: they call the export check and have no pages.
PEOPLE = [role for role in Role if role != Role.INTEGRATION]


@pytest.mark.parametrize("role", PEOPLE, ids=lambda r: r.name.lower())
def test_each_role_logs_in_and_sees_its_dashboard(page: Page, role: Role) -> None:
    user: User = make_user(role, username=f"person-{role.name.lower()}")
    log_in(page, user)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    expect(page.locator(".who")).to_contain_text(role.value)


def test_a_keyboard_user_reaches_the_content_with_the_skip_link(page: Page) -> None:
    log_in(page, make_user(Role.REVIEWER, username="keyboard"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (768, 1024)], ids=["laptop", "tablet"])
def test_the_dashboard_and_case_file_fit_a_laptop_and_a_tablet(page: Page, width: int, height: int) -> None:
    from tests.lib.cases import decide_request, file_request

    sales = make_user(Role.SALES, username="sam")
    application = file_request(sales)
    decide_request(make_user(Role.REVIEWER, username="rita"), application, conditions="No re-export.")
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, make_user(Role.AUDITOR, username=f"auditor-{width}"))
    for path in ("/dashboard/", f"/licensing/{application.pk}/case-file/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Case file")
