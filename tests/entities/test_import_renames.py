"""The 2026 Entity List has no stable ids: an entry renamed or re-filed under another country is
recognised by more than its name, the dry run says so, and the admin applies the previewed file
without uploading it again, rejecting a pairing that is wrong.

Uses rows of the real 2022 CSL and the real 2026 Entity List (../shared/data, skipped when absent).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entities.importers import import_list
from entities.importers.jobs import PreviewNotApplicable, apply_dry_run, start_import_job
from entities.models import Entity, ImportJob
from entities.services import create_entity
from lib.roles import Role
from licensing import services
from licensing.models import Hit
from tests.entities.real_lists import CSL_2022, ENTITY_LIST_2026, real_rows
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

ACTEAM = "ACTeam Logistics Ltd."  # re-filed from HK to CN (", Hong Kong, CN"), same address
EITOM, ELTOM = "EITom Research and Production Company", "ElTom Research and Production Company"  # renamed
KONG_FAT = "Kong Fat Electronic Trading Limited"  # re-filed from HK to CN
REMOVED = "32 Group China Ltd."  # not in the 2026 list
NEW = "Aram Kocharyan"  # added since 2022
KEPT = "140 Repair Plant JSC"  # same key in both, details changed


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def admin(db: None) -> User:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def list_2022(admin: User, tmp_path: Path) -> None:
    path = real_rows(CSL_2022, [ACTEAM, EITOM, KONG_FAT, REMOVED, KEPT], tmp_path / "el-2022.csv")
    result = import_list(actor=admin, path=path)
    assert result.added == 5


@pytest.fixture
def file_2026(tmp_path: Path) -> Path:
    return real_rows(ENTITY_LIST_2026, [ACTEAM, ELTOM, KONG_FAT, NEW, KEPT], tmp_path / "entity-list-2026.csv")


def test_the_dry_run_pairs_renamed_and_refiled_entries_and_lists_each_once(
    admin: User, list_2022: None, file_2026: Path
) -> None:
    result = import_list(actor=admin, path=file_2026, dry_run=True)

    paired = {p["old_name"]: p for p in result.paired}
    assert set(paired) == {ACTEAM, EITOM, KONG_FAT}
    assert paired[EITOM]["new_name"] == ELTOM
    evidence: Any = paired[ACTEAM]["evidence"]
    assert {"same name", "same address", "same Federal Register citation"} <= set(evidence)
    assert (result.added, result.removed, result.changed) == (1, 1, 4)
    assert result.added_names == [NEW]
    assert result.removed_names == [REMOVED]
    assert any(name.startswith(f"{EITOM} → {ELTOM} (same entry: ") for name in result.changed_names)
    assert "3 of the changed recognised under a new name or country" in result.summary()


def test_a_paired_entry_keeps_its_row_history_and_confirmed_hit(
    admin: User, list_2022: None, file_2026: Path, reviewer: User
) -> None:
    entity = Entity.objects.get(name=ACTEAM)
    case = make_application(
        destination="HK", parties=[party("ACTeam Logistics Limited", country="HK")], assigned_to=reviewer
    )
    hit = Hit.objects.get(party__application=case, entity=entity)
    services.confirm_hit(actor=reviewer, hit=hit, rationale="Same firm, same Tsuen Wan address")

    result = import_list(actor=admin, path=file_2026)

    entity.refresh_from_db()
    assert entity.is_active and entity.key == "EL:acteam logistics ltd:CN"
    assert entity.history.count() == 2
    assert not Entity.objects.filter(name=ACTEAM).exclude(pk=entity.pk).exists()
    assert result.removed == 1
    hit.refresh_from_db()
    assert (hit.entity_id, hit.status) == (entity.pk, Hit.Status.CONFIRMED)


def post_dry_run(client: Client, path: Path) -> ImportJob:
    with path.open("rb") as handle:
        response = client.post(reverse("entities:import"), {"file": handle, "dry_run": "on"})
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


def test_the_admin_applies_the_previewed_file_without_uploading_it_again_and_can_reject_a_pairing(
    admin: User,
    list_2022: None,
    file_2026: Path,
    media: Path,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        preview = post_dry_run(client, file_2026)
    preview.refresh_from_db()
    page = client.get(reverse("entities:import_job", args=[preview.pk])).content.decode()
    assert "Apply this file" in page
    assert "Recognised under a new name or country (3)" in page
    tokens = {p["old_name"]: p["token"] for p in preview.result["paired"]}
    eitom = Entity.objects.get(name=EITOM)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("entities:import_apply", args=[preview.pk]), {"pairing": [tokens[ACTEAM], tokens[KONG_FAT]]}
        )
    applied = ImportJob.objects.get(applied_from=preview)
    assert response.status_code == 302 and response["Location"] == reverse("entities:import_job", args=[applied.pk])
    assert applied.status == ImportJob.Status.DONE and applied.version_number == 2
    assert applied.rejected_pairings == [tokens[EITOM]]
    assert {p["old_name"] for p in applied.result["paired"]} == {ACTEAM, KONG_FAT}
    # The rejected pairing is a removal and an addition.
    eitom.refresh_from_db()
    assert not eitom.is_active
    assert Entity.objects.get(name=ELTOM).pk != eitom.pk
    assert (applied.added_count, applied.removed_count) == (2, 2)
    # Applied once: the preview's file went with the preview, the applied copy is kept for audit.
    preview.refresh_from_db()
    assert preview.files_purged_at is not None
    assert applied.file.name and applied.file.storage.exists(applied.file.name)
    page = client.get(reverse("entities:import_job", args=[preview.pk])).content.decode()
    assert "Apply this file" not in page and f"Applied as import {applied.pk}" in page


def test_a_preview_is_not_applied_once_the_list_changed_or_twice(
    admin: User, list_2022: None, file_2026: Path, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import_job(actor=admin, file=SimpleUploadedFile("el.csv", file_2026.read_bytes()), dry_run=True)
    job.refresh_from_db()
    create_entity(actor=admin, record=make_record("Volga River Tractor Works", country="RU"), reason="90 FR 1")
    with pytest.raises(PreviewNotApplicable, match="The list changed since this preview"):
        apply_dry_run(actor=admin, job=job)

    with django_capture_on_commit_callbacks(execute=True):
        again = start_import_job(actor=admin, file=SimpleUploadedFile("el.csv", file_2026.read_bytes()), dry_run=True)
    again.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        apply_dry_run(actor=admin, job=again)
    with pytest.raises(PreviewNotApplicable, match="already applied"):
        apply_dry_run(actor=admin, job=again)
