"""Uploaded list files do not pile up: an import that changed the list keeps its file for the
retention period (for audit), a failed import drops it at once, a dry run keeps it a day (to be
applied from the preview) or until it is applied, and a daily task deletes what has been kept
long enough, recording on the job that it did."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entities.importers.csl import COLUMNS
from entities.importers.jobs import purge_import_files, start_import_job
from entities.models import ImportJob
from tests.entities.import_helpers import BASE_ROWS, write_csl_csv, write_ofac

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def stored_files(media: Path) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def upload(tmp_path: Path, *, rows: list[dict[str, str]] = BASE_ROWS, header: list[str] | None = None) -> bytes:
    return write_csl_csv(tmp_path / "source.csv", rows, header=header).read_bytes()


def run(
    actor: User, content: bytes, capture: Any, *, dry_run: bool = False, name: str = "list.csv", **kwargs: Any
) -> ImportJob:
    # Tasks are queued on commit and run eagerly here, as they do without REDIS_URL.
    with capture(execute=True):
        job = start_import_job(actor=actor, file=SimpleUploadedFile(name, content), dry_run=dry_run, **kwargs)
    job.refresh_from_db()
    assert job.finished
    return job


def age(job: ImportJob, days: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days))


def test_an_import_that_changed_the_list_keeps_its_file_and_its_digest(
    tmp_path: Path,
    media: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    content = upload(tmp_path)

    job = run(compliance_admin, content, django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.DONE and job.version_number == 1
    assert stored_files(media) == [f"imports/{job.token}/list.csv"]
    assert job.files_purged_at is None
    assert job.file_digests == {"list.csv": hashlib.sha256(content).hexdigest()}
    assert job.finished_at is not None
    kept_until = (job.finished_at + timedelta(days=30)).strftime("%Y-%m-%d")
    page = client_for(compliance_admin).get(reverse("entities:import_job", args=[job.pk])).content.decode()
    assert f"Kept for audit until {kept_until} (30 days), then deleted." in page
    assert hashlib.sha256(content).hexdigest() in page


def test_a_failed_import_drops_its_file_when_it_ends(
    tmp_path: Path,
    media: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    bad = upload(tmp_path, header=[*COLUMNS, "risk"])
    job = run(compliance_admin, bad, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED

    assert stored_files(media) == []
    assert not (media / "imports" / str(job.token)).exists(), "the job's folder goes too"
    assert job.files_purged_at is not None
    assert job.file_digests, "the digest outlives the file"
    page = client_for(compliance_admin).get(reverse("entities:import_job", args=[job.pk])).content.decode()
    assert "changes nothing, so its file is not kept" in page


def test_a_dry_run_keeps_its_file_a_day_for_applying_then_the_daily_purge_drops_it(
    tmp_path: Path,
    media: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    job = run(compliance_admin, upload(tmp_path), django_capture_on_commit_callbacks, dry_run=True)
    assert job.status == ImportJob.Status.DONE
    assert len(stored_files(media)) == 1
    page = client_for(compliance_admin).get(reverse("entities:import_job", args=[job.pk])).content.decode()
    assert "so it can be applied from this preview" in page

    assert purge_import_files(now=timezone.now() + timedelta(hours=23)) == []
    assert purge_import_files(now=timezone.now() + timedelta(hours=25)) == [job.pk]
    assert stored_files(media) == []


def test_the_daily_purge_deletes_files_kept_longer_than_the_retention_and_records_it(
    tmp_path: Path,
    media: Path,
    settings: Any,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.IMPORT_FILE_RETENTION_DAYS = 7
    old = run(compliance_admin, upload(tmp_path), django_capture_on_commit_callbacks, name="old.csv")
    recent = run(compliance_admin, upload(tmp_path, rows=BASE_ROWS[:2]), django_capture_on_commit_callbacks)
    running = ImportJob.objects.create(
        created_by=compliance_admin,
        filename="running.csv",
        file=SimpleUploadedFile("running.csv", b"name\n"),
        status=ImportJob.Status.RUNNING,
    )
    age(old, 8)
    age(recent, 6)
    ImportJob.objects.filter(pk=running.pk).update(created_at=timezone.now() - timedelta(days=60))

    from entities.tasks import purge_import_files as task

    purged = task.delay().get()

    assert purged == 1
    for job in (old, recent, running):
        job.refresh_from_db()
    assert old.files_purged_at is not None
    assert recent.files_purged_at is None and running.files_purged_at is None
    assert set(stored_files(media)) == {f"imports/{recent.token}/list.csv", f"imports/{running.token}/running.csv"}
    assert old.file_digests and old.version_number == 1, "the job's record of the import stays"
    page = client_for(compliance_admin).get(reverse("entities:import_job", args=[old.pk])).content.decode()
    assert "after the 7 days it was kept for audit" in page
    assert purge_import_files() == [], "a second run finds nothing left to do"


def test_the_purge_deletes_all_three_ofac_files(
    tmp_path: Path, media: Path, compliance_admin: User, django_capture_on_commit_callbacks: Any
) -> None:
    sdn = write_ofac(
        tmp_path / "ofac",
        ['36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '],
        ['36,12,"aka","AERO-CARIBBEAN",-0- '],
        ['36,25,-0- ,"Havana","Cuba",-0- '],
    )
    files = {name: SimpleUploadedFile(name, (sdn.parent / name).read_bytes()) for name in ("alt.csv", "add.csv")}
    job = run(
        compliance_admin,
        sdn.read_bytes(),
        django_capture_on_commit_callbacks,
        name="sdn.csv",
        fmt="ofac-sdn",
        alt_file=files["alt.csv"],
        add_file=files["add.csv"],
    )
    assert job.status == ImportJob.Status.DONE, job.error
    assert len(stored_files(media)) == 3
    assert set(job.file_digests) == {"sdn.csv", "alt.csv", "add.csv"}
    age(job, 31)

    assert purge_import_files() == [job.pk]
    assert stored_files(media) == []


def test_the_purge_runs_daily_on_beat(settings: Any) -> None:
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-import-files"]
    assert entry["task"] == "entities.tasks.purge_import_files"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {3}
    assert settings.IMPORT_FILE_RETENTION_DAYS == 30
