"""Hostile input (issue 18, finding 2): screening sees what a person sees.

A party named RIGHT-TO-LEFT OVERRIDE + "seigolonhceT iewauH" is displayed as "Huawei
Technologies": it must be screened as that, on submit, on re-screening, by the screening API and
in a batch; the case page shows the name isolated and says what was hidden in it; a name made of
invisible characters only is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from compliance import rescreen
from compliance.models import RescreenJob
from compliance.normalise import has_visible_letters, hidden_characters, normalise, visible_text
from compliance.rescreen import chunks
from entities.services import create_entity
from lib.roles import Role
from licensing.models import Application, Hit
from tests.factories import make_entity, make_record, make_user
from tests.licensing.factories import make_application, party
from tests.licensing.test_pages import request_form

pytestmark = pytest.mark.django_db

ApiFor = Callable[[User], APIClient]
ClientFor = Callable[[User], Client]

# Displays as "Huawei Technologies": the override lays the reversed letters out right to left.
OVERRIDDEN = "\u202eseigolonhceT iewauH"
ZERO_WIDTH_ONLY = "\u200b\u200b\u200b"


def test_an_overridden_name_reads_as_it_displays() -> None:
    assert visible_text(OVERRIDDEN) == "Huawei Technologies"
    assert normalise(OVERRIDDEN) == normalise("Huawei Technologies")
    assert hidden_characters(OVERRIDDEN) == ["U+202E RIGHT-TO-LEFT OVERRIDE"]


@pytest.mark.parametrize(
    "name",
    [
        "Hua\u200bwei Technologies",  # zero-width space
        "\ufeffHuawei Technologies",  # byte-order mark
        "Huawei\u200d Techno\u00adlogies",  # zero-width joiner, soft hyphen
        "Huawei Technologies\U000e0041\U000e007f",  # tag characters
        "\u2066Huawei Technologies\u2069",  # an isolate of left-to-right text changes nothing
    ],
)
def test_invisible_characters_are_removed_before_matching(name: str) -> None:
    assert normalise(name) == normalise("Huawei Technologies")


# Zero-width space, joiners, word joiner, BOM, soft hyphen, a tag letter, LRM/RLM, a blank letter.
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041", "\u200e", "\u200f", "\u3164"]

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@hypothesis_settings(max_examples=200, deadline=None, database=None)
@given(
    words=st.lists(st.text(alphabet=LETTERS, min_size=2, max_size=10), min_size=1, max_size=4),
    hidden=st.lists(st.tuples(st.integers(min_value=0, max_value=60), st.sampled_from(INVISIBLES)), max_size=6),
)
def test_invisible_characters_anywhere_in_a_name_change_nothing(
    words: list[str], hidden: list[tuple[int, str]]
) -> None:
    name = " ".join(words)
    salted = name
    for position, ch in hidden:
        cut = position % (len(salted) + 1)
        salted = salted[:cut] + ch + salted[cut:]
    assert visible_text(salted) == name
    assert normalise(salted) == normalise(name)


def test_right_to_left_script_without_controls_is_left_in_reading_order() -> None:
    assert visible_text("شركة هواوي") == "شركة هواوي"
    assert visible_text("\u202bشركة هواوي\u202c") == "شركة هواوي"


def test_a_name_of_zero_width_spaces_has_no_visible_letters() -> None:
    assert not has_visible_letters(ZERO_WIDTH_ONLY)
    assert not has_visible_letters("\u202e \u200d.")
    assert has_visible_letters("3M")


def test_submitting_screens_the_name_as_it_displays(sales: User) -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", country="CN")
    application = make_application(
        applicant=sales, submitted=True, destination="CN", parties=[party(OVERRIDDEN, country="CN")]
    )
    hit = Hit.objects.get(party__application=application)
    assert hit.entity == entity
    assert hit.explanation["query_normalised"] == "huawei technologies"


def test_re_screening_meets_the_name_as_it_displays(reviewer: User) -> None:
    application = make_application(submitted=True, destination="CN", parties=[party(OVERRIDDEN, country="CN")])
    assert not Hit.objects.exists()
    admin = make_user(Role.COMPLIANCE_ADMIN, username="listadmin")
    entity = create_entity(
        actor=admin, record=make_record("Huawei Technologies Co., Ltd.", country="CN"), reason="84 FR 22961"
    )
    job = RescreenJob.objects.order_by("-pk").first()
    assert job is not None
    for chunk_id in rescreen.start_job(job.pk):
        chunks.run_chunk(chunk_id)
    assert Hit.objects.get().entity == entity
    assert Hit.objects.get().party.application == application


def test_the_screening_api_and_a_batch_see_the_displayed_name(sales: User, api_for: ApiFor) -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", country="CN")
    api = api_for(sales)
    single = api.get("/api/v1/screen/", {"name": OVERRIDDEN, "country": "CN"})
    assert single.status_code == 200
    assert single.json()["matches"][0]["entity_id"] == entity.pk
    upload = SimpleUploadedFile("names.csv", f"name,country\n{OVERRIDDEN},CN\n".encode(), content_type="text/csv")
    batch = api.post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert batch.status_code == 200
    rows = list(csv.DictReader(io.StringIO(batch.content.decode())))
    assert rows[0]["entity_id"] == str(entity.pk)


def test_a_name_of_invisible_characters_is_refused_by_the_api_and_the_form(
    sales: User, api_for: ApiFor, client_for: ClientFor
) -> None:
    body: dict[str, Any] = {
        "type": "export",
        "destination_country": "CA",
        "end_use": "Calibration of lab instruments.",
        "parties": [{"role": "end_user", "name": ZERO_WIDTH_ONLY, "address": "Ottawa", "country": "CA"}],
        "items": [{"eccn": "EAR99", "description": "Multimeters", "quantity": "5", "unit_price": "120.00"}],
    }
    response = api_for(sales).post("/api/v1/applications/", body, format="json")
    assert response.status_code == 400
    assert "visible letters" in str(response.json()["parties"])
    page = client_for(sales).post(reverse("licensing:create"), request_form(**{"parties-0-name": ZERO_WIDTH_ONLY}))
    assert page.status_code == 200
    assert "Enter a name with visible letters" in page.content.decode()
    assert not Application.objects.exists()
    screen_page = client_for(sales).get(reverse("compliance:screen"), {"name": ZERO_WIDTH_ONLY})
    assert "Enter a name with visible letters" in screen_page.content.decode()
    screen = api_for(sales).get("/api/v1/screen/", {"name": ZERO_WIDTH_ONLY})
    assert screen.status_code == 400
    assert "visible letters" in screen.json()["name"][0]
    upload = SimpleUploadedFile("names.csv", f"name\n{ZERO_WIDTH_ONLY}\n".encode(), content_type="text/csv")
    batch = api_for(sales).post("/api/v1/screen/batch/", {"file": upload}, format="multipart")
    assert batch.status_code == 400
    assert "Row 1" in batch.json()["file"][0]


def test_the_case_page_isolates_names_and_says_what_was_hidden(
    sales: User, reviewer: User, client_for: ClientFor
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", country="CN")
    application = make_application(
        applicant=sales, submitted=True, destination="CN", parties=[party(OVERRIDDEN, country="CN")]
    )
    page = client_for(reviewer).get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert f"<bdi>{OVERRIDDEN}</bdi>" in page
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in page
    assert "It was screened as it displays: “Huawei Technologies”" in page
