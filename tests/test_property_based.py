"""No input, however large or odd, gives a 500 (issue 18): Hypothesis throws generated bodies at the
filing, decision and screening endpoints; each answer is a 2xx or a 4xx with a message, and what
was accepted stays within its limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from entities.models import Entity
from licensing.models import Application
from licensing.validators import MAX_REQUEST_TOTAL
from tests.factories import make_entity
from tests.lib.cases import file_request

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# Text as people and attackers type it: every script, control and format characters, huge runs.
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=("Cf", "Cc", "Zs", "Mn")), max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "\u202e", "\u200b", "華", "="]), st.integers(0, 20_000)),
)
amount = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from(["999999999999.99", "1e400", "-0", "NaN", "0.001", "", " ", "1_000"]),
    st.integers(min_value=-(10**30), max_value=10**30),
).map(str)
party = st.fixed_dictionaries(
    {"role": st.sampled_from(["end_user", "purchaser", "x"]), "name": odd_text, "country": st.text(max_size=3)},
    optional={"address": odd_text, "id": st.integers()},
)
item = st.fixed_dictionaries(
    {"eccn": st.sampled_from(["EAR99", "5A002", "ZZZ", ""]), "description": odd_text},
    optional={"quantity": amount, "unit_price": amount, "unit": odd_text, "reasons_for_control": odd_text},
)
application_body = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["export", "reexport", "bogus"]),
        "destination_country": st.text(max_size=3),
        "end_use": odd_text,
        "additional_info": odd_text,
        "parties": st.lists(party, max_size=4) | st.just([{"role": "end_user", "name": "x", "country": "CA"}] * 60),
        "items": st.lists(item, max_size=4),
    },
)
json_anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


def no_server_error(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:500])


@pytest.fixture
def seller(api_for: Any, sales: User) -> APIClient:
    return api_for(sales)


@given(body=application_body)
@EXAMPLES
def test_filing_never_answers_a_server_error(seller: APIClient, body: dict[str, Any]) -> None:
    response = seller.post("/api/v1/applications/", body, format="json")
    no_server_error(response)
    if response.status_code == 201:
        application = Application.objects.get(pk=response.json()["id"])
        assert application.total_value <= MAX_REQUEST_TOTAL
        assert seller.get(f"/api/v1/applications/{application.pk}/").status_code == 200


@given(body=application_body | json_anything)
@EXAMPLES
def test_editing_a_draft_never_answers_a_server_error(seller: APIClient, sales: User, body: Any) -> None:
    draft = file_request(sales, submit=False)
    no_server_error(seller.patch(f"/api/v1/applications/{draft.pk}/", body, format="json"))
    assert seller.get("/api/v1/applications/").status_code == 200


@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "outcome": st.sampled_from(["approved", "denied", "returned", "maybe", ""]),
            "rationale": odd_text,
            "conditions": odd_text,
            "override_reason": odd_text,
        },
    )
    | json_anything
)
@EXAMPLES
def test_deciding_never_answers_a_server_error(api_for: Any, sales: User, reviewer: User, body: Any) -> None:
    application = file_request(sales)
    no_server_error(api_for(reviewer).post(f"/api/v1/applications/{application.pk}/decision/", body, format="json"))


@given(name=odd_text, country=st.text(max_size=4), limit=st.text(max_size=6))
@EXAMPLES
def test_screening_a_name_never_answers_a_server_error(
    seller: APIClient, compliance_admin: User, name: str, country: str, limit: str
) -> None:
    if not Entity.objects.exists():
        make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin)
    no_server_error(seller.get("/api/v1/screen/", {"name": name, "country": country, "limit": limit}))


@given(rows=st.lists(st.lists(odd_text, max_size=3), max_size=8))
@EXAMPLES
def test_batch_screening_never_answers_a_server_error(seller: APIClient, rows: list[list[str]]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "\n".join(",".join(row) for row in rows)
    upload = SimpleUploadedFile("names.csv", text.encode("utf-8", "surrogatepass"), "text/csv")
    no_server_error(seller.post("/api/v1/screen/batch/", {"file": upload}, format="multipart"))


def test_the_strategies_reach_the_limits() -> None:
    # The generated bodies include amounts far past every limit, so the limits are exercised.
    assert Decimal("999999999999.99") * Decimal("999999999999.99") > MAX_REQUEST_TOTAL
