"""An admin uploads the real 2026 Entity List as a dry run, reads what it would do (entries
recognised under a new name or country included), and applies it from the preview without
uploading it again; a confirmed hit on a re-filed entry stays confirmed. Screenshot in
test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from entities.importers import import_list
from entities.models import Entity, ImportJob
from lib.roles import Role
from licensing import services
from licensing.models import Hit
from tests.browser.conftest import ARTIFACTS, log_in
from tests.entities.real_lists import CSL_2022, ENTITY_LIST_2026, real_rows
from tests.factories import make_user
from tests.licensing.factories import make_application, party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.shared_data]

ACTEAM = "ACTeam Logistics Ltd."


def test_an_admin_previews_the_2026_entity_list_and_applies_it_without_uploading_again(
    page: Page, tmp_path: Path, settings: object
) -> None:
    if not ENTITY_LIST_2026.is_file():
        pytest.skip(reason=f"the 2026 Entity List is not present at {ENTITY_LIST_2026}")
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    admin = make_user(Role.COMPLIANCE_ADMIN, username="alex.admin")
    reviewer = make_user(Role.REVIEWER, username="rita.reviewer")
    base = real_rows(CSL_2022, [ACTEAM, "32 Group China Ltd."], tmp_path / "el-2022.csv")
    import_list(actor=admin, path=base)
    acteam = Entity.objects.get(name=ACTEAM)
    case = make_application(destination="HK", parties=[party(ACTEAM, country="HK")], assigned_to=reviewer)
    hit = Hit.objects.get(party__application=case, entity=acteam)
    services.confirm_hit(actor=reviewer, hit=hit, rationale="Our forwarder in Tsuen Wan: the listed company")

    log_in(page, admin)
    page.goto("/entities/import/")
    page.get_by_label("List file").set_input_files(str(ENTITY_LIST_2026))
    page.get_by_label("Dry run: show what would change, change nothing").check()
    # Tasks run in-process here, as under `make run`: the upload returns once the job is done.
    with page.expect_navigation(timeout=180_000):
        page.get_by_role("button", name="Upload and import").click(no_wait_after=True)
    expect(page.get_by_text(re.compile(r"^Dry run of .* nothing written"))).to_be_visible(timeout=180_000)
    pairings = page.get_by_role("group", name=re.compile("Recognised under a new name or country"))
    expect(pairings.get_by_text(ACTEAM)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "list_update_preview.png"), full_page=True)
    preview = ImportJob.objects.get(dry_run=True)

    with page.expect_navigation(timeout=180_000):
        page.get_by_role("button", name="Apply this file").click(no_wait_after=True)
    expect(page.get_by_text(re.compile(r"^Imported .* as list version 2"))).to_be_visible(timeout=180_000)
    expect(page.get_by_text(f"Applied from dry run {preview.pk}")).to_be_visible()

    applied = ImportJob.objects.get(applied_from=preview)
    assert applied.file_digests == preview.file_digests, "the previewed file itself, not a new upload"
    acteam.refresh_from_db()
    assert acteam.is_active and acteam.key.endswith(":CN")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.CONFIRMED
    assert not Entity.objects.filter(name="32 Group China Ltd.", delisted_on__isnull=True).exists()
