"""Real-browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

No browser is ever downloaded (`playwright install` is never run): the tests launch the system
Chromium at /usr/bin/chromium and skip with a reason when it is not there.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from lib.roles import Role

# The real Celery worker of the re-screening tests, for the journey where the list changes.
from tests.compliance.conftest import no_eager_tasks, redis_queue, start_worker  # noqa: F401

# Playwright's sync API runs an event loop in the test thread; Django's "async unsafe" guard would
# then refuse the ORM calls the tests make to arrange data. The calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-for-tests-1"  # tests/factories.make_user's default
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _roles_exist(transactional_db: None) -> None:
    # Live-server tests are transactional: the flush between tests removes the role groups that
    # lib's migration created, so put them back before each journey.
    from django.contrib.auth.models import Group

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture
def page(browser: Browser, live_server: object, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test (no shared cookies); its last page is kept as a screenshot."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=str(live_server))
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    for index, open_page in enumerate(context.pages):
        suffix = "" if index == 0 else f"-{index}"
        open_page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
    context.close()


@pytest.fixture
def new_page(browser: Browser, live_server: object) -> Iterator[Callable[[], Page]]:
    """More pages in separate contexts, for journeys where two people act on the same case."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=str(live_server))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, user: User, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would, and wait for the dashboard."""
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
