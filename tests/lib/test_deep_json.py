"""Hostile input (issue 18, finding 5): a JSON body nested very deep is a 400, not a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from licensing.models import Application
from tests.lib.cases import file_request

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return '{"parties": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
def test_a_body_nested_too_deep_is_refused_with_a_400(
    depth: int, sales: User, api_for: Callable[[User], APIClient]
) -> None:
    api = api_for(sales)
    draft = file_request(sales, submit=False)
    for method, url in (("post", "/api/v1/applications/"), ("patch", f"/api/v1/applications/{draft.pk}/")):
        response = getattr(api, method)(url, nested(depth), content_type="application/json")
        assert response.status_code == 400, (method, response.status_code)
        assert "nested more than 32 levels deep" in response.json()["detail"]
    token = APIClient().post("/api/v1/auth/token/", nested(depth), content_type="application/json")
    assert token.status_code == 400
    assert Application.objects.count() == 1


def test_ordinary_nesting_is_parsed(sales: User, api_for: Callable[[User], APIClient]) -> None:
    response = api_for(sales).post("/api/v1/applications/", nested(3), content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in str(response.json())
