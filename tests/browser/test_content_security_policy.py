"""The Content-Security-Policy in a real browser: every main page renders and works under it, and
Chromium reports no violation (a refused inline script or style, a blocked image or worker).

Violations are caught twice: Chromium's console messages ("Refused to ... Content Security
Policy") and the page's own `securitypolicyviolation` events. The first test proves the watcher
does see a violation, so a quiet run means a clean page rather than a deaf test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from compliance.models import BatchScreening, RescreenJob
from entities.models import Entity, ImportJob, ListVersion
from lib.roles import Role
from licensing import services
from licensing.models import Hit
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import make_entity, make_user
from tests.lib.cases import file_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records violations from the first byte of every page (an init script runs before the page's own).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
});
"""


REDOC_VENDOR_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


class Watcher:
    """Collects CSP violations on one page across navigations."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._on_console)
        page.add_init_script(RECORD_VIOLATIONS)

    def _on_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        events: list[str] = self.page.evaluate("window.__cspViolations || []")
        return [*self.console, *events]

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert "content-security-policy" in response.headers, f"{path} has no CSP header"
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self, where: str, *, expected_blocks: tuple[str, ...] = ()) -> None:
        found = [v for v in self.violations() if not any(url in v for url in expected_blocks)]
        assert not found, f"CSP violations on {where}: {found}"


@pytest.fixture
def watch(page: Page) -> Iterator[Watcher]:
    yield Watcher(page)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people() -> dict[str, User]:
    return {
        "sales": make_user(Role.SALES, username="sam.sales"),
        "reviewer": make_user(Role.REVIEWER, username="rita.reviewer"),
        "admin": make_user(Role.COMPLIANCE_ADMIN, username="alex.admin"),
    }


def test_the_watcher_sees_an_injected_inline_script_and_style_attribute(page: Page, watch: Watcher) -> None:
    watch.visit("/login/")
    watch.assert_clean("the log-in page")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.appendChild(script);
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">injected</p>');
        }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    found = " | ".join(watch.violations())
    assert "script-src" in found
    assert "style-src" in found
    assert page.evaluate("window.injected === undefined"), "the injected inline script ran"


def test_the_main_pages_render_without_a_csp_violation(
    page: Page, watch: Watcher, people: dict[str, User], media: None
) -> None:
    admin, sales, reviewer = people["admin"], people["sales"], people["reviewer"]
    make_entity("Huawei Technologies Co., Ltd.", actor=admin, aliases=("Huawei",), country="CN")
    make_entity("Rostec State Corporation", actor=admin, country="RU")
    case = file_request(sales, end_user="Huawei Technologies Co Ltd")
    draft = file_request(sales, submit=False)
    services.add_document(
        actor=sales, application=draft, upload=SimpleUploadedFile("quote.pdf", b"%PDF-1.4", "application/pdf")
    )
    entity = Entity.objects.get(name="Huawei Technologies Co., Ltd.")
    import_job = ImportJob.objects.create(
        created_by=admin,
        filename="list.csv",
        file=SimpleUploadedFile("list.csv", b"name\nAcme\n"),
        dry_run=True,
        status=ImportJob.Status.RUNNING,
    )

    log_in(page, admin)
    admin_pages = [
        "/dashboard/",
        "/entities/",
        f"/entities/{entity.pk}/",
        "/entities/new/",
        "/entities/versions/",
        f"/entities/versions/{ListVersion.current_number()}/",
        "/entities/import/",
        f"/entities/import/{import_job.pk}/",
        "/compliance/screen/?name=Huawei+Tech&country=CN",
        "/compliance/rescreens/",
        "/compliance/settings/",
        "/licensing/queue/",
        f"/licensing/{case.pk}/",
        f"/licensing/{case.pk}/case-file/",
    ]
    for path in admin_pages:
        watch.visit(path)
        watch.assert_clean(f"{path} as a compliance admin")
    watch.visit("/dashboard/")
    expect(page.locator(".chart-svg svg").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "csp_dashboard_charts_under_the_policy.png"), full_page=True)

    page.context.clear_cookies()
    log_in(page, reviewer)
    for path in ("/dashboard/", "/licensing/queue/", f"/licensing/{case.pk}/"):
        watch.visit(path)
        watch.assert_clean(f"{path} as a reviewer")
    expect(page.locator(f"#hit-{Hit.objects.get(party__application=case).pk}")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, sales)
    for path in (
        "/dashboard/",
        "/licensing/",
        "/licensing/new/",
        f"/licensing/{draft.pk}/edit/",
        f"/licensing/{draft.pk}/",
    ):
        watch.visit(path)
        watch.assert_clean(f"{path} as a salesperson")
    # The inline forms and labels that once had style attributes are still laid out inline.
    watch.visit(f"/licensing/{draft.pk}/edit/")
    remove = page.get_by_role("button", name="Remove quote.pdf")
    assert remove.evaluate("b => getComputedStyle(b.form).display") == "inline"


def test_the_rescreen_and_batch_progress_bars_move_under_the_policy(
    page: Page, watch: Watcher, people: dict[str, User]
) -> None:
    job = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL, reason="progress under CSP", status=RescreenJob.Status.RUNNING, total_chunks=4
    )
    RescreenJob.objects.filter(pk=job.pk).update(done_chunks=1)
    log_in(page, people["admin"])
    watch.visit("/compliance/rescreens/")
    bar = page.locator(f"#job-progress-{job.pk}")
    expect(bar).to_have_attribute("value", "25")
    # The page's script (a static file now) polls and moves the bar as the worker reports.
    RescreenJob.objects.filter(pk=job.pk).update(done_chunks=4, status=RescreenJob.Status.DONE)
    expect(bar).to_have_js_property("value", 100, timeout=10_000)
    expect(page.locator(f'tr[data-job="{job.pk}"] .status')).to_have_text("Done")
    watch.assert_clean("the re-screens page")

    batch = BatchScreening.objects.create(
        created_by=people["sales"], input_csv="name\nAcme\nRostec\n", status=BatchScreening.Status.RUNNING, total=2
    )
    page.context.clear_cookies()
    log_in(page, people["sales"])
    watch.visit(f"/compliance/batch/{batch.pk}/")
    expect(page.get_by_role("link", name=re.compile("Download the results"))).to_be_hidden()
    BatchScreening.objects.filter(pk=batch.pk).update(
        status=BatchScreening.Status.DONE, processed=2, result_csv="name,score\nAcme,0\nRostec,0\n"
    )
    expect(page.get_by_role("link", name=re.compile("Download the results"))).to_be_visible(timeout=10_000)
    expect(page.locator("#batch-progress")).to_have_js_property("value", 100)
    watch.assert_clean("the batch screening page")


def test_swagger_ui_renders_under_the_policy(page: Page, watch: Watcher) -> None:
    watch.visit("/api/docs/")
    documents = page.locator(".opblock-summary-path").filter(has_text="/api/v1/applications/{id}/documents/")
    expect(documents.first).to_be_visible(timeout=15_000)
    watch.assert_clean("Swagger UI")


def test_redoc_renders_under_its_policy_and_cannot_reach_its_vendors_cdn(
    new_page: Callable[[], Page], live_server: Any
) -> None:
    # A page of its own (not the `page` fixture): ReDoc's full-page screenshot is too tall to take.
    page = new_page()
    watch = Watcher(page)
    watch.visit("/api/redoc/")
    expect(page.get_by_role("heading", name=re.compile("Clearance API")).first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Attach a document to a draft").first).to_be_attached()
    # ReDoc's menu footer always tries to fetch its vendor's logo from a CDN (and hides it when that
    # fails). Refusing it is the policy doing its job: the API docs name no outside host, and
    # air-gapped sites could not reach it anyway. Anything else blocked is a failure.
    watch.assert_clean("ReDoc", expected_blocks=(REDOC_VENDOR_LOGO,))
