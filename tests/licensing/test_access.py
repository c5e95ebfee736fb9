"""Every licensing page and API endpoint, for every role and for anonymous visitors.

A refusal changes nothing: the request's status and history are the same afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from licensing import services
from licensing.models import Application, Document, Hit
from tests.factories import make_entity
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other_sales", "reviewer", "auditor", "admin"]


@pytest.fixture
def people(sales: User, sales2: User, reviewer: User, auditor: User, compliance_admin: User) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "owner": sales,
        "other_sales": sales2,
        "reviewer": reviewer,
        "auditor": auditor,
        "admin": compliance_admin,
    }


@pytest.fixture
def cases(sales: User) -> dict[str, Any]:
    make_entity("Acme Rocket Works", country="CN")
    draft = make_application(applicant=sales)
    submitted = make_application(applicant=sales, submitted=True, parties=[party("Acme Rocket Works", country="CN")])
    upload = SimpleUploadedFile("statement.pdf", b"%PDF-1.4", content_type="application/pdf")
    document = services.add_document(actor=sales, application=draft, upload=upload)
    return {"draft": draft, "submitted": submitted, "hit": Hit.objects.get(), "document": (draft.pk, document.pk)}


def _snapshot(cases: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for key in ("draft", "submitted"):
        application = Application.objects.get(pk=cases[key].pk)
        rows.append((application.status, application.history.count(), application.parties.count()))
    rows.append((Document.objects.count(), Document.history.count()))
    hit = Hit.objects.get(pk=cases["hit"].pk)
    rows.append((hit.status, hit.history.count()))
    return rows


def _page_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# (name, method, url name, case, expected status per role in ROLES order)
PAGES: list[tuple[str, str, str, str | None, tuple[int | None, ...]]] = [
    ("mine", "get", "licensing:mine", None, (302, 200, 200, 403, 403, 403)),
    ("create", "get", "licensing:create", None, (302, 200, 200, 403, 403, 403)),
    ("queue", "get", "licensing:queue", None, (302, 403, 403, 200, 200, 200)),
    ("detail", "get", "licensing:detail", "submitted", (302, 200, 404, 200, 200, 200)),
    ("edit", "get", "licensing:edit", "draft", (302, 200, 404, 403, 403, 403)),
    ("submit", "post", "licensing:submit", "draft", (302, None, 404, 403, 403, 403)),
    ("withdraw", "post", "licensing:withdraw", "submitted", (302, None, 404, 403, 403, 403)),
    ("assign", "post", "licensing:assign", "submitted", (302, 403, 403, None, 403, 403)),
    ("decide", "post", "licensing:decide", "submitted", (302, 403, 403, None, 403, 403)),
    ("hit_clear", "post", "licensing:hit_clear", "hit", (302, 403, 403, None, 403, 403)),
    ("hit_confirm", "post", "licensing:hit_confirm", "hit", (302, 403, 403, None, 403, 403)),
    ("hit_acknowledge", "post", "licensing:hit_acknowledge", "hit", (302, 403, 403, None, 403, 403)),
    ("document_upload", "post", "licensing:document_upload", "draft", (302, None, 404, 403, 403, 403)),
    ("document", "get", "licensing:document", "document", (302, 200, 404, 200, 200, 200)),
    ("document_delete", "post", "licensing:document_delete", "document", (302, None, 404, 403, 403, 403)),
]


def refusals(table: list[tuple[str, str, str, str | None, tuple[int | None, ...]]]) -> list[Any]:
    """One case per (endpoint, role) with an expected status; allowed writes (None) are in the behaviour tests."""
    return [
        pytest.param(method, target, case, role, want, id=f"{name}-{role}")
        for name, method, target, case, expected in table
        for role, want in zip(ROLES, expected, strict=True)
        if want is not None
    ]


@pytest.mark.parametrize(("method", "url_name", "case", "role", "want"), refusals(PAGES))
def test_pages_enforce_roles_and_ownership(
    people: dict[str, User | None],
    cases: dict[str, Any],
    method: str,
    url_name: str,
    case: str | None,
    role: str,
    want: int,
) -> None:
    args = [] if case is None else list(cases[case]) if case == "document" else [cases[case].pk]
    url = reverse(url_name, args=args)
    before = _snapshot(cases)
    client = _page_client(people[role])
    body = {"outcome": "approved", "rationale": "Forged.", "reason": "Forged."}
    response = client.get(url) if method == "get" else client.post(url, body)
    assert response.status_code == want
    if want == 302:
        assert response["Location"].startswith(reverse("login"))
    assert _snapshot(cases) == before


def _api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


API: list[tuple[str, str, str, str | None, tuple[int | None, ...]]] = [
    ("list", "get", "/api/v1/applications/", None, (401, 200, 200, 200, 200, 200)),
    ("create", "post", "/api/v1/applications/", None, (401, None, None, 403, 403, 403)),
    ("detail", "get", "/api/v1/applications/{}/", "submitted", (401, 200, 404, 200, 200, 200)),
    ("patch", "patch", "/api/v1/applications/{}/", "draft", (401, None, 404, 403, 403, 403)),
    ("submit", "post", "/api/v1/applications/{}/submit/", "draft", (401, None, 404, 403, 403, 403)),
    ("withdraw", "post", "/api/v1/applications/{}/withdraw/", "submitted", (401, None, 404, 403, 403, 403)),
    ("assign", "post", "/api/v1/applications/{}/assign/", "submitted", (401, 403, 403, None, 403, 403)),
    ("decision", "post", "/api/v1/applications/{}/decision/", "submitted", (401, 403, 403, None, 403, 403)),
    ("history", "get", "/api/v1/applications/{}/history/", "submitted", (401, 200, 404, 200, 200, 200)),
    ("documents", "get", "/api/v1/applications/{}/documents/", "draft", (401, 200, 404, 200, 200, 200)),
    ("document_upload", "post", "/api/v1/applications/{}/documents/", "draft", (401, None, 404, 403, 403, 403)),
    ("document", "get", "/api/v1/applications/{}/documents/{}/", "document", (401, 200, 404, 200, 200, 200)),
    ("document_delete", "delete", "/api/v1/applications/{}/documents/{}/", "document", (401, None, 404, 403, 403, 403)),
    ("hit_clear", "post", "/api/v1/hits/{}/clear/", "hit", (401, 403, 403, None, 403, 403)),
    ("hit_confirm", "post", "/api/v1/hits/{}/confirm/", "hit", (401, 403, 403, None, 403, 403)),
    ("hit_acknowledge", "post", "/api/v1/hits/{}/acknowledge/", "hit", (401, 403, 403, None, 403, 403)),
]


@pytest.mark.parametrize(("method", "path", "case", "role", "want"), refusals(API))
def test_api_endpoints_enforce_roles_and_ownership(
    people: dict[str, User | None],
    cases: dict[str, Any],
    method: str,
    path: str,
    case: str | None,
    role: str,
    want: int,
) -> None:
    url = path.format(*cases[case]) if case == "document" else path.format(cases[case].pk) if case else path
    before = _snapshot(cases)
    client = _api_client(people[role])
    if path.endswith("/documents/") and method == "post":
        # A well-formed upload, so that only the role or ownership rule can refuse it.
        upload = SimpleUploadedFile("forged.pdf", b"%PDF-1.4", content_type="application/pdf")
        response = client.post(url, {"file": upload}, format="multipart")
    else:
        body = {"outcome": "approved", "rationale": "Forged.", "destination_country": "DE"}
        response = getattr(client, method)(url, body, format="json")
    assert response.status_code == want
    assert _snapshot(cases) == before


def test_sales_users_list_only_their_own_requests(api_for: Any, client_for: Any, sales: User, sales2: User) -> None:
    mine = make_application(applicant=sales)
    theirs = make_application(applicant=sales2)
    ids = [row["id"] for row in api_for(sales).get("/api/v1/applications/").json()["results"]]
    assert ids == [mine.pk]
    page = client_for(sales).get(reverse("licensing:mine")).content.decode()
    assert str(mine.reference) in page
    assert str(theirs.reference) not in page


def test_auditors_read_everything(api_for: Any, auditor: User) -> None:
    make_application()
    make_application()
    assert api_for(auditor).get("/api/v1/applications/").json()["count"] == 2
