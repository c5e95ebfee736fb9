from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from licensing.models import Application, Document
from tests.factories import make_entity
from tests.licensing.factories import make_application

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def formset(prefix: str, rows: list[dict[str, str]], initial: int = 0) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def request_form(**overrides: Any) -> dict[str, str]:
    data = {
        "app-type": "export",
        "app-destination_country": "CA",
        "app-end_use": "Calibration of lab instruments.",
        "app-additional_info": "",
        **formset(
            "parties",
            [
                {"role": "end_user", "name": "Maple Leaf Instruments Ltd", "address": "Ottawa", "country": "CA"},
                {"role": "", "name": "", "address": "", "country": ""},
            ],
        ),
        **formset(
            "items",
            [
                {
                    "eccn": "EAR99",
                    "description": "Bench multimeters",
                    "quantity": "5",
                    "unit": "ea",
                    "unit_price": "120",
                    "model": "",
                    "manufacturer": "",
                    "reasons_for_control": "",
                }
            ],
        ),
    }
    data.update(overrides)
    return data


def test_a_sales_user_files_submits_and_sees_the_decision_in_the_browser(
    client_for: ClientFor, sales: User, reviewer: User
) -> None:
    seller = client_for(sales)
    page = seller.get(reverse("licensing:create"))
    assert page.status_code == 200
    assert b'<label for="id_app-destination_country">' in page.content
    response = seller.post(reverse("licensing:create"), request_form())
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:detail", args=[application.pk])
    assert str(application.total_value) == "600.00"
    response = seller.post(reverse("licensing:submit", args=[application.pk]), follow=True)
    assert b"submitted: every party was screened" in response.content
    assert b"no licence required" in response.content

    checker = client_for(reviewer)
    assert str(application.reference) in checker.get(reverse("licensing:queue")).content.decode()
    checker.post(reverse("licensing:assign", args=[application.pk]))
    response = checker.post(
        reverse("licensing:decide", args=[application.pk]),
        {"outcome": "approved", "rationale": "Known customer.", "conditions": "No re-export."},
        follow=True,
    )
    assert b"approved." in response.content
    seen = seller.get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "Decision: Approved" in seen
    assert "No re-export." in seen
    assert "Licence CL-" in seen


def test_bad_page_input_shows_the_message_next_to_the_field_and_saves_nothing(
    client_for: ClientFor, sales: User
) -> None:
    response = client_for(sales).post(
        reverse("licensing:create"), request_form(**{"items-0-eccn": "5X1", "items-0-quantity": "0"})
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter an ECCN such as 5A002" in content
    assert "Must be greater than zero." in content
    assert not Application.objects.exists()


def test_a_decision_without_rationale_is_refused_on_the_page(client_for: ClientFor, reviewer: User) -> None:
    application = make_application(submitted=True)
    response = client_for(reviewer).post(reverse("licensing:decide", args=[application.pk]), {"outcome": "denied"})
    assert response.status_code == 200
    assert "Give a rationale" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "submitted"


def test_a_reviewer_clears_a_hit_on_the_case_page(client_for: ClientFor, sales: User, reviewer: User) -> None:
    make_entity("Maple Leaf Instruments Ltd", country="CA")
    application = make_application(applicant=sales, submitted=True)
    hit = application.parties.get().hits.get()
    checker = client_for(reviewer)
    page = checker.get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert f'<label for="rationale-{hit.pk}">' in page
    response = checker.post(reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "Other firm."}, follow=True)
    assert "cleared as a false positive" in response.content.decode()
    hit.refresh_from_db()
    assert hit.status == "cleared"


def test_documents_are_uploaded_within_limits_and_served_only_to_those_who_may_read(
    client_for: ClientFor, sales: User, sales2: User
) -> None:
    application = make_application(applicant=sales)
    seller = client_for(sales)
    upload = SimpleUploadedFile("end-user-statement.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    seller.post(reverse("licensing:document_upload", args=[application.pk]), {"file": upload})
    document = Document.objects.get()
    assert document.size == len(b"%PDF-1.4 test")
    url = reverse("licensing:document", args=[application.pk, document.pk])
    assert seller.get(url).status_code == 200
    assert client_for(sales2).get(url).status_code == 404

    bad = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/octet-stream")
    response = seller.post(reverse("licensing:document_upload", args=[application.pk]), {"file": bad}, follow=True)
    assert "not allowed" in response.content.decode()
    assert Document.objects.count() == 1


def test_an_illegal_move_on_a_page_is_refused_with_the_tables_message(client_for: ClientFor, sales: User) -> None:
    application = make_application(applicant=sales)
    seller = client_for(sales)
    seller.post(reverse("licensing:withdraw", args=[application.pk]), {"reason": "Deal lost"})
    response = seller.post(reverse("licensing:submit", args=[application.pk]), follow=True)
    assert "A request that is withdrawn cannot be submitted." in response.content.decode()
    application.refresh_from_db()
    assert application.status == "withdrawn"


def test_a_second_decision_on_the_page_says_who_decided_first(
    client_for: ClientFor, reviewer: User, reviewer2: User
) -> None:
    application = make_application(submitted=True)
    decision = {"outcome": "denied", "rationale": "Military end user."}
    client_for(reviewer).post(reverse("licensing:decide", args=[application.pk]), decision)
    response = client_for(reviewer2).post(
        reverse("licensing:decide", args=[application.pk]), {"outcome": "approved", "rationale": "Fine."}, follow=True
    )
    assert "This request was already decided by reviewer at " in response.content.decode()
    application.refresh_from_db()
    assert application.status == "denied"
