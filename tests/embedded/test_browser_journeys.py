"""Issue 19's "Broken on the embedded default", in Chromium against the app as `make run` serves
it (SQLite, tasks in-process): an admin uploads a list on the import page and it succeeds; an
admin edits an entry's alias and its dates survive. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.embedded.conftest import DEMO_PASSWORD, EmbeddedServer

pytestmark = [pytest.mark.embedded, pytest.mark.browser]

ENTITY_LIST_2026 = Path("entity-list") / "entity-list-2026-07-as-csl.csv"


@pytest.fixture
def admin_page(browser: Browser, embedded: EmbeddedServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=embedded.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"embedded-{request.node.name}.png"), full_page=True)
    context.close()


def test_an_admin_uploads_the_entity_list_on_the_import_page_and_it_succeeds(
    admin_page: Page, embedded: EmbeddedServer, shared_data: Path
) -> None:
    page = admin_page
    page.goto("/entities/import/")
    page.get_by_label("List file").set_input_files(str(shared_data / ENTITY_LIST_2026))
    # Tasks run in-process: the upload answers once the import (and its re-screen) is over.
    with page.expect_navigation(url=re.compile(r"/entities/import/\d+/$"), timeout=600_000):
        page.get_by_role("button", name="Upload and import").click(timeout=600_000)
    expect(page.get_by_role("status").first).to_contain_text("as list version", timeout=120_000)
    assert page.locator("text=Nothing was imported").count() == 0
    assert "database is locked" not in embedded.errors_logged()


def test_an_admin_edits_an_alias_and_the_dates_survive(admin_page: Page) -> None:
    page = admin_page
    page.goto("/entities/new/")
    page.locator("#id_name").fill("Embedded Dates Test Trading Co., Ltd.")
    page.get_by_label("Licence review policy").select_option("presumption_of_denial")
    page.get_by_label("Start date").fill("2019-05-21")
    page.get_by_label("End date").fill("2030-01-02")
    page.get_by_label("Reason for this change").fill("Added per 84 FR 22961")
    page.get_by_role("button", name="Add to the list").click()
    page.wait_for_url(re.compile(r"/entities/\d+/$"))
    detail_url = page.url

    page.get_by_role("link", name=re.compile("Edit")).first.click()
    expect(page.get_by_label("Start date")).to_have_value("2019-05-21")
    expect(page.get_by_label("End date")).to_have_value("2030-01-02")
    page.get_by_label("Aliases (a.k.a.)").fill("EDT Trading")
    page.get_by_label("Reason for this change").fill("Alias added per 90 FR 2")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(detail_url)
    body = page.content()
    assert "EDT Trading" in body
    assert "2019-05-21" in body and "2030-01-02" in body
    assert "2019-05-21 → (empty)" not in body, "the history records no date erased"
