"""Supporting documents through the API: the same limits and rules as the page, a clear refusal
for bad input, and nothing stored (no row, no file) when an upload is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save
from rest_framework.test import APIClient

from licensing.models import DOCUMENT_MAX_BYTES, Application, Document
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def _documents_url(application: Application) -> str:
    return f"/api/v1/applications/{application.pk}/documents/"


def _upload(client: APIClient, application: Application, name: str, content: bytes, content_type: str) -> Any:
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(_documents_url(application), {"file": upload}, format="multipart")


def _content(response: Any) -> bytes:
    # A download streams the file: read it as the client would.
    return b"".join(response.streaming_content)


def _stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_the_applicant_uploads_a_document_to_their_draft_and_downloads_the_same_bytes(
    api_for: ApiFor, sales: User
) -> None:
    draft = make_application(applicant=sales)
    seller = api_for(sales)

    response = _upload(seller, draft, "end-user-statement.pdf", PDF, "application/pdf")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "end-user-statement.pdf"
    assert body["size"] == len(PDF)
    assert body["uploaded_by"] == "sales"
    listed = seller.get(_documents_url(draft)).json()
    assert [row["id"] for row in listed] == [body["id"]]
    download = seller.get(body["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="end-user-statement.pdf"' in download["Content-Disposition"]
    assert _content(download) == PDF
    # The request itself shows the document too, as the case page does.
    assert [d["name"] for d in seller.get(f"/api/v1/applications/{draft.pk}/").json()["documents"]] == [
        "end-user-statement.pdf"
    ]


def test_an_upload_through_the_api_is_attributed_in_the_history_and_the_timeline(
    api_for: ApiFor, sales: User, reviewer: User
) -> None:
    draft = make_application(applicant=sales)
    created = _upload(api_for(sales), draft, "invoice.csv", b"item,qty\nhousing,10\n", "text/csv").json()

    row = Document.history.get(id=created["id"])
    assert row.history_user == sales
    assert row.history_change_reason == "Document added: invoice.csv"
    timeline = api_for(reviewer).get(f"/api/v1/applications/{draft.pk}/history/").json()
    added = [event for event in timeline if event["subject"] == "Document invoice.csv"]
    assert [(e["actor"], e["reason"]) for e in added] == [("sales", "Document added: invoice.csv")]


def test_a_document_over_ten_megabytes_is_refused_and_nothing_is_stored(api_for: ApiFor, sales: User) -> None:
    draft = make_application(applicant=sales)
    big = b"%PDF-1.4\n" + b"0" * DOCUMENT_MAX_BYTES

    response = _upload(api_for(sales), draft, "scan.pdf", big, "application/pdf")

    assert response.status_code == 400
    assert "at most 10 MB" in response.json()["file"][0]
    assert not Document.objects.exists()
    assert not Document.history.exists()
    assert _stored_files() == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("payload.exe", b"MZ\x90\x00binary", "application/octet-stream"), ("notes.html", b"<script>1</script>", "")],
)
def test_a_document_of_a_type_the_form_refuses_is_refused_too(
    api_for: ApiFor, sales: User, name: str, content: bytes, content_type: str
) -> None:
    draft = make_application(applicant=sales)

    response = _upload(api_for(sales), draft, name, content, content_type or "text/html")

    assert response.status_code == 400
    assert "not allowed" in response.json()["file"][0]
    assert not Document.objects.exists()
    assert _stored_files() == []


def test_a_body_without_a_file_is_a_field_error_not_a_server_error(api_for: ApiFor, sales: User) -> None:
    draft = make_application(applicant=sales)
    seller = api_for(sales)

    missing = seller.post(_documents_url(draft), {}, format="multipart")
    empty = _upload(seller, draft, "empty.pdf", b"", "application/pdf")
    as_json = seller.post(_documents_url(draft), {"file": "aGVsbG8="}, format="json")

    assert missing.status_code == 400 and "file" in missing.json()
    assert empty.status_code == 400 and "file" in empty.json()
    assert as_json.status_code == 415
    assert not Document.objects.exists()
    assert _stored_files() == []


def test_another_salespersons_request_or_a_forged_id_is_not_found_and_gets_nothing(
    api_for: ApiFor, sales: User, sales2: User
) -> None:
    draft = make_application(applicant=sales)
    _upload(api_for(sales), draft, "quote.pdf", PDF, "application/pdf")
    document = Document.objects.get()
    intruder = api_for(sales2)

    assert _upload(intruder, draft, "mine-now.pdf", PDF, "application/pdf").status_code == 404
    assert intruder.get(_documents_url(draft)).status_code == 404
    assert intruder.get(f"{_documents_url(draft)}{document.pk}/").status_code == 404
    assert intruder.delete(f"{_documents_url(draft)}{document.pk}/").status_code == 404
    forged = Application(pk=draft.pk + 1000)
    assert _upload(api_for(sales), forged, "quote.pdf", PDF, "application/pdf").status_code == 404
    assert list(Document.objects.values_list("name", flat=True)) == ["quote.pdf"]
    assert len(_stored_files()) == 1


def test_a_document_is_only_found_under_its_own_request(api_for: ApiFor, sales: User) -> None:
    first = make_application(applicant=sales)
    second = make_application(applicant=sales)
    seller = api_for(sales)
    created = _upload(seller, first, "quote.pdf", PDF, "application/pdf").json()

    assert seller.get(f"{_documents_url(second)}{created['id']}/").status_code == 404


def test_a_submitted_request_takes_no_more_documents(api_for: ApiFor, sales: User) -> None:
    submitted = make_application(applicant=sales, submitted=True)

    response = _upload(api_for(sales), submitted, "late.pdf", PDF, "application/pdf")

    assert response.status_code == 409
    assert response.json()["detail"] == "A request that is submitted cannot be edited."
    assert not Document.objects.exists()
    assert _stored_files() == []


def test_reviewers_auditors_and_admins_read_and_download_but_cannot_upload(
    api_for: ApiFor, sales: User, reviewer: User, auditor: User, compliance_admin: User
) -> None:
    draft = make_application(applicant=sales)
    created = _upload(api_for(sales), draft, "spec.txt", b"Bench power supplies, 30 V.", "text/plain").json()

    for reader in (reviewer, auditor, compliance_admin):
        client = api_for(reader)
        assert [d["name"] for d in client.get(_documents_url(draft)).json()] == ["spec.txt"]
        download = client.get(created["download"])
        assert _content(download) == b"Bench power supplies, 30 V."
        assert _upload(client, draft, "theirs.txt", b"x", "text/plain").status_code == 403
        assert client.delete(created["download"]).status_code == 403
    assert Document.objects.count() == 1


def test_a_download_asked_for_as_octet_stream_is_served(api_for: ApiFor, sales: User) -> None:
    draft = make_application(applicant=sales)
    created = _upload(api_for(sales), draft, "quote.pdf", PDF, "application/pdf").json()

    response = api_for(sales).get(created["download"], HTTP_ACCEPT="application/octet-stream")

    assert response.status_code == 200
    assert _content(response) == PDF


def test_the_applicant_removes_a_document_from_a_draft_but_not_from_a_submitted_request(
    api_for: ApiFor, sales: User
) -> None:
    draft = make_application(applicant=sales)
    seller = api_for(sales)
    created = _upload(seller, draft, "old-quote.pdf", PDF, "application/pdf").json()

    assert seller.delete(created["download"]).status_code == 204
    assert seller.get(_documents_url(draft)).json() == []
    assert Document.history.filter(id=created["id"]).latest("history_id").history_user == sales

    kept = _upload(seller, draft, "quote.pdf", PDF, "application/pdf").json()
    seller.post(f"/api/v1/applications/{draft.pk}/submit/")
    refused = seller.delete(kept["download"])
    assert refused.status_code == 409
    assert Document.objects.filter(pk=kept["id"]).exists()


def test_a_failed_save_leaves_no_file_behind(api_for: ApiFor, sales: User) -> None:
    draft = make_application(applicant=sales)

    def fail_after_the_file_is_written(sender: Any, instance: Document, **kwargs: Any) -> None:
        assert Path(instance.file.path).is_file()
        raise RuntimeError("database went away")

    post_save.connect(fail_after_the_file_is_written, sender=Document)
    try:
        with pytest.raises(RuntimeError):
            _upload(api_for(sales), draft, "quote.pdf", PDF, "application/pdf")
    finally:
        post_save.disconnect(fail_after_the_file_is_written, sender=Document)
    assert not Document.objects.exists()
    assert _stored_files() == []
