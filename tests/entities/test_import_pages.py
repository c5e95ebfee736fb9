"""The browser import: Compliance admins upload, follow progress and read the summary; others get 403."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entities.importers.csl import COLUMNS
from entities.models import Entity, ImportJob, ListVersion
from tests.entities.import_helpers import BASE_ROWS, write_csl_csv, write_ofac

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(tmp_path: Path, name: str = "list.csv", rows: list[dict[str, str]] = BASE_ROWS) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, write_csl_csv(tmp_path / name, rows).read_bytes(), content_type="text/csv")


def _post(client: Client, capture: Any, data: dict[str, Any]) -> Any:
    # Tasks are queued on commit and run eagerly here, as they do without REDIS_URL.
    with capture(execute=True):
        return client.post(reverse("entities:import"), data)


def test_an_admin_imports_a_file_and_sees_the_summary(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(compliance_admin)

    response = _post(client, django_capture_on_commit_callbacks, {"file": _upload(tmp_path), "fmt": ""})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("entities:import_job", args=[job.pk])
    assert job.status == ImportJob.Status.DONE
    assert (job.added_count, job.version_number) == (4, 1)
    assert ListVersion.objects.get().created_by == compliance_admin
    page = client.get(response["Location"])
    assert "Imported list.csv as list version 1: 4 added" in page.content.decode()
    status = client.get(reverse("entities:import_job_status", args=[job.pk])).json()
    assert status["finished"] is True
    assert status["percent"] == 100


def test_the_upload_page_labels_every_field(compliance_admin: User, client_for: Callable[[User], Client]) -> None:
    html = client_for(compliance_admin).get(reverse("entities:import")).content.decode()

    for field in ("file", "fmt", "alt_file", "add_file", "dry_run"):
        assert f'<label for="id_{field}">' in html
    assert "<progress" not in html


def test_a_running_job_shows_a_progress_bar_that_polls(
    compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    job = ImportJob.objects.create(
        created_by=compliance_admin, filename="list.csv", file="imports/x/list.csv", status="running"
    )
    ImportJob.objects.filter(pk=job.pk).update(stage="Writing", progress_done=50, progress_total=200)

    client = client_for(compliance_admin)
    html = client.get(reverse("entities:import_job", args=[job.pk])).content.decode()
    status = client.get(reverse("entities:import_job_status", args=[job.pk])).json()

    assert '<progress id="import-progress" max="100" value="25">' in html
    assert reverse("entities:import_job_status", args=[job.pk]) in html
    assert (status["stage"], status["percent"], status["finished"]) == ("Writing", 25, False)


def test_a_dry_run_upload_shows_the_diff_and_changes_nothing(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(compliance_admin)

    response = _post(client, django_capture_on_commit_callbacks, {"file": _upload(tmp_path), "dry_run": "on"})

    html = client.get(response["Location"]).content.decode()
    assert "Would add (4)" in html
    assert "<li>Huawei Technologies Co., Ltd.</li>" in html
    assert not Entity.objects.exists()
    assert not ListVersion.objects.exists()


def test_a_bad_file_fails_the_job_with_its_line_and_changes_nothing(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(compliance_admin)
    bad = write_csl_csv(tmp_path / "bad.csv", BASE_ROWS, header=[*COLUMNS, "risk"])

    response = _post(
        client, django_capture_on_commit_callbacks, {"file": SimpleUploadedFile("bad.csv", bad.read_bytes())}
    )

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "line 1: unknown column(s) 'risk'" in job.error
    assert "Nothing was imported." in client.get(response["Location"]).content.decode()
    assert not Entity.objects.exists()


def test_the_ofac_trio_can_be_uploaded(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sdn = write_ofac(
        tmp_path / "ofac",
        ['306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA"' + ",-0- " * 7 + ",\"a.k.a. 'BNC'.\""],
        ['306,220,"aka","NATIONAL BANK OF CUBA",-0- '],
        ['306,199,"Zweierstrasse 35","Zurich CH-8022","Switzerland",-0- '],
    )
    files = {
        name: SimpleUploadedFile(f"{prefix}_2021.csv", (sdn.parent / f"{prefix}.csv").read_bytes())
        for name, prefix in (("file", "sdn"), ("alt_file", "alt"), ("add_file", "add"))
    }

    _post(client_for(compliance_admin), django_capture_on_commit_callbacks, {**files, "fmt": "ofac-sdn"})

    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    cuba = Entity.objects.get(key="SDN:306")
    assert [a.name for a in cuba.aliases.all()] == ["NATIONAL BANK OF CUBA"]
    assert cuba.countries == ["CH"]


def test_the_ofac_format_needs_all_three_files(
    tmp_path: Path, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(compliance_admin).post(
        reverse("entities:import"), {"file": _upload(tmp_path, "sdn.csv"), "fmt": "ofac-sdn"}
    )

    assert response.status_code == 400
    assert "needs the sdn, alt and add files together" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_oversized_and_non_text_uploads_are_refused(
    tmp_path: Path, settings: Any, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(compliance_admin)
    settings.LIST_UPLOAD_MAX_BYTES = 100

    too_big = client.post(reverse("entities:import"), {"file": _upload(tmp_path)})
    settings.LIST_UPLOAD_MAX_BYTES = 10_000_000
    binary = client.post(reverse("entities:import"), {"file": SimpleUploadedFile("list.csv", b"PK\x03\x04\x00\x00")})
    wrong_type = client.post(reverse("entities:import"), {"file": SimpleUploadedFile("list.xlsx", b"a,b\n")})

    assert too_big.status_code == binary.status_code == wrong_type.status_code == 400
    assert "larger than the 100" in too_big.content.decode()
    assert "not a text file" in binary.content.decode()
    assert "Upload a .csv, .json or .xml list file." in wrong_type.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", ["sales", "reviewer", "auditor"])
def test_other_roles_get_403_on_every_import_page(
    request: pytest.FixtureRequest,
    role: str,
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
) -> None:
    job = ImportJob.objects.create(created_by=compliance_admin, filename="list.csv", file="imports/x/list.csv")
    client = client_for(request.getfixturevalue(role))

    responses = [
        client.get(reverse("entities:import")),
        client.post(reverse("entities:import"), {"file": _upload(tmp_path)}),
        client.get(reverse("entities:import_job", args=[job.pk])),
        client.get(reverse("entities:import_job_status", args=[job.pk])),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert ImportJob.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(compliance_admin: User) -> None:
    job = ImportJob.objects.create(created_by=compliance_admin, filename="list.csv", file="imports/x/list.csv")
    client = Client()

    for url in (
        reverse("entities:import"),
        reverse("entities:import_job", args=[job.pk]),
        reverse("entities:import_job_status", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_job_is_404(compliance_admin: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(compliance_admin)

    assert client.get(reverse("entities:import_job", args=[999999])).status_code == 404
    assert client.get(reverse("entities:import_job_status", args=[999999])).status_code == 404


def test_a_redelivered_task_does_not_import_twice(
    tmp_path: Path,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from entities.tasks import run_import_job

    _post(client_for(compliance_admin), django_capture_on_commit_callbacks, {"file": _upload(tmp_path)})
    job = ImportJob.objects.get()

    assert run_import_job(job.pk) == "done"
    assert ListVersion.objects.count() == 1
