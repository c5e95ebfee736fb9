"""Hostile input (issue 18): amounts, counts and lengths have limits checked before anything is
written, no input gives a 500, documents are what they say, and every CSV is formula-free."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from licensing.models import Application, Document
from tests.factories import make_entity
from tests.lib.cases import file_request

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]
ClientFor = Callable[[User], Client]


def body(*, items: list[dict[str, str]] | None = None, parties: int = 1, **header: Any) -> dict[str, Any]:
    return {
        "type": "export",
        "destination_country": "CA",
        "end_use": "Calibration of lab instruments.",
        "parties": [
            {"role": "end_user", "name": f"Maple Leaf Instruments {n}", "address": "Ottawa", "country": "CA"}
            for n in range(parties)
        ],
        "items": items
        if items is not None
        else [{"eccn": "EAR99", "description": "Multimeters", "quantity": "5", "unit_price": "120.00"}],
        **header,
    }


def every_list_still_answers(client: Client) -> None:
    for url in ("licensing:mine",):
        assert client.get(reverse(url)).status_code == 200


def test_twenty_huge_lines_are_refused_whole_and_every_list_still_works(
    api_for: ApiFor, sales: User, reviewer: User, client_for: ClientFor
) -> None:
    huge = [{"eccn": "EAR99", "description": "Bulk", "quantity": "99999999.99", "unit_price": "999999.99"}] * 20
    response = api_for(sales).post("/api/v1/applications/", body(items=huge), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert "a line may total at most 1,000,000,000,000" in errors["items[0].total"][0]
    assert "a request may total at most 10,000,000,000,000" in errors["total_value"][0]
    assert not Application.objects.exists(), "nothing is written"
    every_list_still_answers(client_for(sales))
    assert client_for(reviewer).get(reverse("licensing:queue"), {"status": "draft"}).status_code == 200


def test_an_absurd_quantity_and_price_are_refused_naming_the_limit(api_for: ApiFor, sales: User) -> None:
    item = {"eccn": "EAR99", "description": "x", "quantity": "999999999999.99", "unit_price": "999999999999.99"}
    response = api_for(sales).post("/api/v1/applications/", body(items=[item]), format="json")
    assert response.status_code == 400
    items = response.json()["items"]["0"]
    assert items["quantity"] == ["Ensure this value is less than or equal to 1000000000."]
    assert items["unit_price"] == ["Ensure this value is less than or equal to 1000000000."]
    # A PATCH of an existing draft is held to the same limits, and leaves the draft as it was.
    draft = file_request(sales, submit=False)
    patched = api_for(sales).patch(f"/api/v1/applications/{draft.pk}/", {"items": [item]}, format="json")
    assert patched.status_code == 400
    assert Application.objects.get(pk=draft.pk).total_value == draft.total_value


def test_the_limits_are_in_the_api_schema(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    item = schema["components"]["schemas"]["LineItem"]["properties"]
    assert "at most 1,000,000,000" in item["quantity"]["description"]
    assert "at most 1,000,000,000 per unit" in item["unit_price"]["description"]
    write = schema["components"]["schemas"]["ApplicationWrite"]["properties"]
    assert write["parties"]["description"] == "At most 50 parties."
    assert write["items"]["description"] == "At most 200 line items."
    assert write["end_use"]["maxLength"] == 5000


def test_too_many_parties_or_too_much_text_is_refused(api_for: ApiFor, sales: User) -> None:
    seller = api_for(sales)
    many = seller.post("/api/v1/applications/", body(parties=51), format="json")
    assert many.status_code == 400
    assert "A request has at most 50 parties" in str(many.json()["parties"])
    long_text = seller.post("/api/v1/applications/", body(end_use="x" * 100_000), format="json")
    assert long_text.status_code == 400
    assert "5000 characters" in long_text.json()["end_use"][0]
    assert not Application.objects.exists()


def test_the_new_request_page_refuses_a_forged_form_count_quickly(client_for: ClientFor, sales: User) -> None:
    data = {
        "app-type": "export",
        "app-destination_country": "CA",
        "app-end_use": "x",
        "parties-TOTAL_FORMS": "100000",
        "parties-INITIAL_FORMS": "0",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
    }
    response = client_for(sales).post(reverse("licensing:create"), data)
    assert response.status_code == 200
    assert "Please submit at most 50 forms." in response.content.decode()
    assert not Application.objects.exists()


def test_batch_screening_refuses_names_longer_than_a_single_screen_takes(
    api_for: ApiFor, client_for: ClientFor, sales: User
) -> None:
    upload = SimpleUploadedFile("names.csv", ("name\n" + "A" * 1000 + "\n").encode(), "text/csv")
    response = api_for(sales).post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "Row 1: a name has at most 500 characters" in str(response.json())


def test_batch_results_neutralise_formulas_in_screened_and_listed_names(
    api_for: ApiFor, sales: User, compliance_admin: User
) -> None:
    make_entity("=HYPERLINK(evil) Trading", actor=compliance_admin, country="CN")
    names = ["=HYPERLINK(evil) Trading", "+1+2", "@SUM(1+1)", "-3", "Harmless Co"]
    upload = SimpleUploadedFile("names.csv", ("name\n" + "\n".join(names) + "\n").encode(), "text/csv")
    response = api_for(sales).post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    cells = [value for row in rows for value in row.values() if value]
    assert not [cell for cell in cells if cell[0] in "=+-@"], cells
    hit = next(row for row in rows if row["entity_name"])
    assert hit["entity_name"] == "'=HYPERLINK(evil) Trading" and hit["name"] == "'=HYPERLINK(evil) Trading"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "does not contain a PDF file"),
        (
            "img.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "not contain a PNG",
        ),
        ("notes.txt", b"<html><body onload=alert(1)>", "is not plain text"),
        ("sheet.xlsx", b"%PDF-1.4 not a spreadsheet", "does not contain a XLSX file"),
    ],
)
def test_a_document_whose_content_is_not_its_declared_type_is_refused(
    api_for: ApiFor, client_for: ClientFor, sales: User, name: str, content: bytes, says: str
) -> None:
    draft = file_request(sales, submit=False)
    upload = SimpleUploadedFile(name, content, "application/octet-stream")
    response = api_for(sales).post(f"/api/v1/applications/{draft.pk}/documents/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert says in str(response.json())
    page = client_for(sales).post(
        reverse("licensing:document_upload", args=[draft.pk]), {"file": SimpleUploadedFile(name, content)}, follow=True
    )
    assert says in page.content.decode()
    assert not Document.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).glob(f"licensing/{draft.pk}/**/{name}"))


def test_real_files_of_each_type_are_accepted(api_for: ApiFor, sales: User) -> None:
    draft = file_request(sales, submit=False)
    files = {
        "scan.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        "photo.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        "statement.pdf": b"%PDF-1.4\n1 0 obj\n",
        "parts.csv": "name,qty\nRésistance,5\n".encode(),
    }
    for name, content in files.items():
        response = api_for(sales).post(
            f"/api/v1/applications/{draft.pk}/documents/",
            {"file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert response.status_code == 201, (name, response.content)


def test_removing_a_draft_document_removes_its_file_and_a_submitted_ones_stay(
    api_for: ApiFor, sales: User, django_capture_on_commit_callbacks: Any
) -> None:
    draft = file_request(sales, submit=False)
    seller = api_for(sales)
    url = f"/api/v1/applications/{draft.pk}/documents/"
    created = seller.post(url, {"file": SimpleUploadedFile("q.pdf", b"%PDF-1.4\n")}, format="multipart").json()
    stored = Path(Document.objects.get(pk=created["id"]).file.path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert seller.delete(f"{url}{created['id']}/").status_code == 204
    assert not stored.exists(), "the file goes with its row"

    kept = seller.post(url, {"file": SimpleUploadedFile("k.pdf", b"%PDF-1.4\n")}, format="multipart").json()
    seller.post(f"/api/v1/applications/{draft.pk}/submit/")
    refused = seller.delete(f"{url}{kept['id']}/")
    assert refused.status_code == 409
    assert Path(Document.objects.get(pk=kept["id"]).file.path).exists()
