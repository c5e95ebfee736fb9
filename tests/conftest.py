from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lib.roles import Role
from tests.factories import make_user

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _suite_runs_on_postgresql(request: pytest.FixtureRequest) -> None:
    # The suite is about real parts: refuse to pass quietly on SQLite.
    if "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db"):
        assert connection.vendor == "postgresql", "Run the suite against PostgreSQL (make test sets DATABASE_URL)."


@pytest.fixture(autouse=True)
def _tasks_run_eagerly(settings: Any) -> None:
    # Most tests exercise services; tests about tasks use the real worker fixture instead.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fresh_screening_indexes() -> Iterator[None]:
    # The screening indexes are cached per process by list version number, which restarts at 1
    # in every test's database: without a reset a test would screen against another test's list.
    from compliance import index, rescreen

    index.reset_index()
    rescreen.reset_party_index()
    yield
    index.reset_index()
    rescreen.reset_party_index()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # With REDIS_URL the cache is shared by every test (and process): a dashboard cached by one
    # test must not answer the next, whose database holds other rows under the same ids.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Role fixtures create many users; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _roles_survive_flushes(request: pytest.FixtureRequest) -> None:
    # Transactional tests (live server, real worker, racing connections) flush the database
    # afterwards, role groups included. Under pytest-xdist a worker may run any test after such a
    # flush, so every test with database access makes sure the groups the migration made exist.
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is None and not {"db", "django_db_setup"} & set(request.fixturenames):
        return
    else:
        request.getfixturevalue("db")
    from django.contrib.auth.models import Group

    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(reason=f"real list data not present at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def sales(db: None) -> User:
    return make_user(Role.SALES, username="sales")


@pytest.fixture
def sales2(db: None) -> User:
    return make_user(Role.SALES, username="sales2")


@pytest.fixture
def reviewer(db: None) -> User:
    return make_user(Role.REVIEWER, username="reviewer")


@pytest.fixture
def reviewer2(db: None) -> User:
    return make_user(Role.REVIEWER, username="reviewer2")


@pytest.fixture
def compliance_admin(db: None) -> User:
    return make_user(Role.COMPLIANCE_ADMIN, username="admin")


@pytest.fixture
def auditor(db: None) -> User:
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A browser-like client signed in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(db: None) -> Callable[[User], APIClient]:
    """An API client authenticated by the user's token, as integrations would be."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


# One Playwright and one Chromium per test process, shared by tests/browser and tests/embedded:
# a second sync_playwright() in the same process would refuse to start inside the first's loop.
@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from tests.browser.conftest import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(reason=f"browser journeys need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    browser = playwright_instance.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
