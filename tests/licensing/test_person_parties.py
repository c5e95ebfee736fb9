"""A party that is a person carries its birth date, nationalities and documents through the form and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from licensing.models import Application, Party
from tests.licensing.factories import make_application, party


@pytest.mark.parametrize("bad", ["31/12/1970", "1970-02-30", "19700", "1700"])
def test_a_birth_date_is_a_date_or_a_year(sales: Any, bad: str) -> None:
    with pytest.raises(ValidationError, match=r"date|year"):
        make_application(applicant=sales, parties=[party("Ivan Petrov", date_of_birth=bad)])


def test_nationalities_are_country_codes(sales: Any) -> None:
    with pytest.raises(ValidationError, match="ISO 3166"):
        make_application(applicant=sales, parties=[party("Ivan Petrov", nationalities="RU, Narnia")])
    application = make_application(applicant=sales, parties=[party("Ivan Petrov", nationalities="ru,  by")])
    assert Party.objects.get(application=application).nationalities == "RU BY"


def test_the_api_takes_and_shows_person_fields(sales: Any) -> None:
    client = APIClient()
    client.force_authenticate(sales)
    body = {
        "type": "export",
        "destination_country": "CA",
        "end_use": "Lab equipment",
        "parties": [
            {
                "role": "end_user",
                "name": "Ivan Petrov",
                "country": "CA",
                "address": "1 Main Street",
                "date_of_birth": "1970-05-01",
                "nationalities": "RU",
                "id_numbers": "P1234567\nN7654321",
            }
        ],
        "items": [{"eccn": "EAR99", "description": "Power supplies", "quantity": "1", "unit_price": "10.00"}],
    }
    response = client.post(reverse("api-applications"), body, format="json")
    assert response.status_code == 201, response.json()
    shown = response.json()["parties"][0]
    assert (shown["date_of_birth"], shown["nationalities"], shown["id_numbers"]) == (
        "1970-05-01",
        "RU",
        "P1234567\nN7654321",
    )
    person = Party.objects.get().person
    assert person is not None and person.documents == ("P1234567", "N7654321")


def test_the_request_form_has_the_person_fields_and_the_case_page_shows_them(sales: Any) -> None:
    client = Client()
    client.force_login(sales)
    assert "Date or year of birth" in client.get(reverse("licensing:create")).content.decode()
    application: Application = make_application(
        applicant=sales, parties=[party("Ivan Petrov", date_of_birth="1970", nationalities="RU")]
    )
    page = client.get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "born 1970" in page and "nationality RU" in page
