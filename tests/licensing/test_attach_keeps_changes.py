"""Attaching a document on the edit page keeps what was typed in the rest of the form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from licensing.models import Application
from tests.licensing.factories import make_application
from tests.licensing.test_pages import formset

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def edit_form(application: Application, **overrides: str) -> dict[str, object]:
    party = application.parties.get()
    item = application.items.get()
    data: dict[str, object] = {
        "app-type": application.type,
        "app-destination_country": application.destination_country,
        "app-end_use": application.end_use,
        "app-additional_info": "",
        **formset(
            "parties",
            [
                {
                    "id": str(party.pk),
                    "role": party.role,
                    "name": party.name,
                    "address": party.address,
                    "country": party.country,
                }
            ],
            initial=1,
        ),
        **formset(
            "items",
            [
                {
                    "id": str(item.pk),
                    "eccn": item.eccn,
                    "description": item.description,
                    "quantity": str(item.quantity),
                    "unit": item.unit,
                    "unit_price": str(item.unit_price),
                    "model": "",
                    "manufacturer": "",
                    "reasons_for_control": "",
                }
            ],
            initial=1,
        ),
    }
    data.update(overrides)
    return data


def test_attaching_a_document_saves_the_unsaved_edits_with_it(
    sales: User, client_for: Callable[[User], Client]
) -> None:
    application = make_application(applicant=sales)
    client = client_for(sales)
    page = client.get(reverse("licensing:edit", args=[application.pk])).content.decode()
    assert 'form="draft-form"' in page and 'enctype="multipart/form-data"' in page

    data = edit_form(application, **{"app-end_use": "Calibration of the metrology lab's instruments."})
    data["attach"] = "1"
    data["file"] = SimpleUploadedFile("end-user-statement.pdf", PDF, content_type="application/pdf")
    response = client.post(reverse("licensing:edit", args=[application.pk]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:edit", args=[application.pk]) + "#docs-heading"
    application.refresh_from_db()
    assert application.end_use == "Calibration of the metrology lab's instruments."
    assert [d.name for d in application.documents.all()] == ["end-user-statement.pdf"]
