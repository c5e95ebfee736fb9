from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compliance import index as index_module
from compliance import screening
from compliance.models import BatchScreening
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

CSV = "name,country\nHuawei Technologies Co Ltd,CN\nAcme Bakery,US\n"


@pytest.fixture(autouse=True)
def _fresh_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(index_module, "VERSION_TTL_SECONDS", 0.0)
    index_module.reset_index()
    yield
    index_module.reset_index()


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_api_returns_a_csv_of_results_for_a_small_batch(sales: User, api_for: Callable[[User], APIClient]) -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", country="CN")
    upload = SimpleUploadedFile("names.csv", CSV.encode(), content_type="text/csv")
    response = api_for(sales).post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response.content.decode())
    assert rows[0]["entity_id"] == str(entity.pk)
    assert rows[1]["name"] == "Acme Bakery"
    assert rows[1]["entity_id"] == ""
    assert rows[0]["threshold"] and rows[0]["list_version"]


def test_a_large_api_batch_becomes_a_job_with_progress(
    sales: User,
    api_for: Callable[[User], APIClient],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", country="CN")
    monkeypatch.setattr(screening, "INLINE_BATCH_ROWS", 1)
    upload = SimpleUploadedFile("names.csv", CSV.encode(), content_type="text/csv")
    client = api_for(sales)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "done"
    assert status["processed"] == 2
    assert status["hits"] == 1
    result = client.get(status["result_url"])
    assert len(_rows(result.content.decode())) == 2


def test_the_batch_page_uploads_shows_progress_and_offers_the_result(
    sales: User, client_for: Callable[[User], Client], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", country="CN")
    client = client_for(sales)
    upload = SimpleUploadedFile("names.csv", CSV.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("compliance:batch"), {"file": upload})
    job = BatchScreening.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("compliance:batch-detail", args=[job.pk])).content.decode()
    assert "<progress" in detail
    assert client.get(reverse("compliance:batch-status", args=[job.pk])).json()["percent"] == 100
    download = client.get(reverse("compliance:batch-download", args=[job.pk]))
    assert _rows(download.content.decode())[0]["entity_name"] == "Huawei Technologies Co., Ltd."


def test_people_cannot_see_each_others_batches(sales: User, sales2: User, client_for: Callable[[User], Client]) -> None:
    job = BatchScreening.objects.create(created_by=sales, input_csv=CSV, total=2)
    assert client_for(sales2).get(reverse("compliance:batch-detail", args=[job.pk])).status_code == 404


def test_running_a_finished_batch_again_changes_nothing(sales: User) -> None:
    batch = screening.create_batch(actor=sales, csv_text=CSV)
    screening.run_batch(batch.pk)
    first = BatchScreening.objects.get(pk=batch.pk).result_csv
    screening.run_batch(batch.pk)
    assert BatchScreening.objects.get(pk=batch.pk).result_csv == first


def test_a_headerless_file_is_read_as_name_and_country() -> None:
    assert screening.parse_names_csv("Acme,US\nFoo\n") == [("Acme", "US"), ("Foo", None)]
