from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import make_entity
from tests.lib.cases import decide_request, file_request

pytestmark = pytest.mark.django_db


def _csv(response: object) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(body)))


def test_the_case_file_holds_the_request_screening_decision_and_timeline(
    client_for: Callable[[User], Client], sales: User, reviewer: User, auditor: User, compliance_admin: User
) -> None:
    from lib.roles import Role
    from licensing import services
    from licensing.models import Hit
    from tests.factories import make_user
    from tests.licensing.factories import assessment_for

    make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, aliases=("Huawei",))
    application = file_request(sales, end_user="Huawei Technologies Co Ltd")
    hit = Hit.objects.get(party__application=application)
    services.assign(actor=reviewer, application=application)
    services.confirm_hit(actor=reviewer, hit=hit, rationale="Same company, same address.")
    services.decide(
        actor=reviewer,
        application=application,
        outcome="approved",
        rationale="EAR99 housings, general merchandise.",
        conditions="No re-export.",
        override_reason="Housings carry no technology; policy allows general merchandise.",
        assessment=assessment_for(application),
    )
    services.countersign(actor=make_user(Role.REVIEWER, username="second"), application=application, agree=True)
    response = client_for(auditor).get(reverse("licensing:case_file", args=[application.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for expected in (
        str(application.reference),
        "Huawei Technologies Co Ltd",  # the party
        "Why it matched",
        "Same company, same address.",
        "Approved with conditions",
        "No re-export.",
        "Timeline",
        "Submitted",
        "National-security assessment",
        "Countersigned by",
    ):
        assert expected in page, expected
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_case_file_comes_as_a_pdf(client_for: Callable[[User], Client], sales: User, reviewer: User) -> None:
    application = file_request(sales)
    decide_request(reviewer, application, outcome="denied")
    response = client_for(sales).get(reverse("licensing:case_file_pdf", args=[application.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert str(application.reference) in response["Content-Disposition"]


def test_a_salesperson_cannot_open_someone_elses_case_file(
    client_for: Callable[[User], Client], sales: User, sales2: User
) -> None:
    application = file_request(sales2)
    client = client_for(sales)
    assert client.get(reverse("licensing:case_file", args=[application.pk])).status_code == 404
    assert client.get(reverse("licensing:case_file_pdf", args=[application.pk])).status_code == 404


def test_the_decisions_csv_lists_what_the_reader_may_see(
    client_for: Callable[[User], Client], sales: User, sales2: User, reviewer: User, auditor: User
) -> None:
    mine = file_request(sales)
    decide_request(reviewer, mine, conditions="No re-export.")
    decide_request(reviewer, file_request(sales2), outcome="denied")
    everything = _csv(client_for(auditor).get(reverse("export_decisions")))
    assert {row["outcome"] for row in everything} == {"Approved", "Denied"}
    own = _csv(client_for(sales).get(reverse("export_decisions")))
    assert [row["reference"] for row in own] == [mine.reference]
    assert own[0]["with_conditions"] == "yes" and own[0]["licence_number"]


def test_the_list_csv_has_every_entity_with_aliases_and_is_not_for_sales(
    client_for: Callable[[User], Client], sales: User, reviewer: User, compliance_admin: User
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, aliases=("Huawei", "华为"))
    make_entity("=HYPERLINK(1)", actor=compliance_admin, country="RU")
    rows = _csv(client_for(reviewer).get(reverse("export_list")))
    by_name = {row["name"]: row for row in rows}
    assert by_name["Huawei Technologies Co., Ltd."]["alt_names"] == "Huawei; 华为"
    assert "'=HYPERLINK(1)" in by_name, "cells that spreadsheets would run as formulas are neutralised"
    assert client_for(sales).get(reverse("export_list")).status_code == 403


def test_exports_are_for_signed_in_users_only() -> None:
    client = Client()
    for url in (reverse("export_decisions"), reverse("export_list"), reverse("licensing:case_file", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
