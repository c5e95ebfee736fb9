"""The case file reads like a record: the decision, licence and determination first, why each hit
matched in words, the history as sentences with each rationale once; a 10-hit case fits in 5 pages."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from licensing import services
from licensing.models import Application, Hit
from tests.factories import make_entity
from tests.licensing.factories import assessment_for, make_application, party

pytestmark = pytest.mark.django_db

COUNTRIES = ("CN", "HK", "DE", "FR", "GB", "BR", "IN", "JP", "KR", "SG")
CONFIRMED = "Same company and Shenzhen address as the listing."
CLEARED = "A different Huawei subsidiary, not named in the listing."


@pytest.fixture
def ten_hit_case(reviewer: User, reviewer2: User, compliance_admin: User) -> Application:
    for country in COUNTRIES:
        make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, country=country, aliases=("Huawei",))
    application = make_application(
        destination="CN",
        parties=[party("Huawei Technologies Co Ltd", country="CN", address="Bantian, Longgang District, Shenzhen")],
        assigned_to=reviewer,
    )
    hits = list(Hit.objects.filter(party__application=application).order_by("-score", "pk"))
    assert len(hits) == 10
    services.confirm_hit(actor=reviewer, hit=hits[0], rationale=CONFIRMED)
    services.review_hits(
        actor=reviewer, application=application, hit_ids=[h.pk for h in hits[1:]], verdict="clear", rationale=CLEARED
    )
    services.decide(
        actor=reviewer,
        application=application,
        outcome="approved",
        rationale="EAR99 housings only: general merchandise.",
        conditions="No re-export without consent.",
        override_reason="No threat to national security: plastic housings carry no technology.",
        assessment=assessment_for(application),
    )
    # Overriding a denial policy needs a second reviewer's countersignature before the licence issues.
    services.countersign(actor=reviewer2, application=application, agree=True)
    return application


def pdf_pages(client: Client, application: Application) -> list[str]:
    response = client.get(reverse("licensing:case_file_pdf", args=[application.pk]))
    assert response.status_code == 200
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]


def test_a_ten_hit_case_file_fits_in_five_pages_with_the_decision_first(
    ten_hit_case: Application, auditor: User, client_for: Callable[[User], Client]
) -> None:
    pages = pdf_pages(client_for(auditor), ten_hit_case)

    assert len(pages) <= 5
    first = " ".join(pages[0].split())
    assert "Decision, licence and determination" in first
    assert "EAR99 housings only: general merchandise." in first
    assert "a licence is required" in first
    text = " ".join(" ".join(pages).split())
    assert text.index("Decision, licence and determination") < text.index("Screening results (10)")
    assert "{" not in text, "no raw JSON"
    assert "words paired: technologies ~ technologies, huawei ~ huawei; country: country agrees." in text
    assert "presumption_of_denial" not in text and "Presumption of denial" in text
    # The confirmation is told once on its hit and once in the history, never more.
    assert text.count(CONFIRMED) == 2
