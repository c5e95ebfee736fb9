"""Issue 19: a failed import no longer forces a re-upload. A failure that was not the file's fault
keeps the file, and the admin retries from it; a file refused as malformed still goes at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from entities.importers import jobs
from entities.models import Entity, ImportJob
from tests.entities.import_helpers import BASE_ROWS, write_csl_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_import_that_failed_unexpectedly_is_retried_without_uploading_again(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = jobs.import_list
    calls: list[int] = []

    def busy_once(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real_import(**kwargs)

    monkeypatch.setattr(jobs, "import_list", busy_once)
    client = client_for(compliance_admin)
    upload = SimpleUploadedFile("list.csv", write_csl_csv(tmp_path / "list.csv", BASE_ROWS).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("entities:import"), {"file": upload, "fmt": ""})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.files_purged_at is None and Path(job.file.path).exists(), "the file is kept for a retry"
    page = client.get(response["Location"]).content.decode()
    assert "Retry this import" in page

    with django_capture_on_commit_callbacks(execute=True):
        retried = client.post(reverse("entities:import_job_retry", args=[job.pk]))
    assert retried["Location"] == reverse("entities:import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Entity.objects.count() == 4
    assert "Imported list.csv as list version 1: 4 added" in client.get(retried["Location"]).content.decode()
    assert ImportJob.objects.count() == 1


def test_a_finished_import_cannot_be_retried(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(compliance_admin)
    upload = SimpleUploadedFile("list.csv", write_csl_csv(tmp_path / "list.csv", BASE_ROWS).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("entities:import"), {"file": upload, "fmt": ""})
    job = ImportJob.objects.get()
    response = client.post(reverse("entities:import_job_retry", args=[job.pk]), follow=True)
    assert "Only a failed import whose file is still kept can be retried." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
