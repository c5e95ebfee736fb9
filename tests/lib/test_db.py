"""`ids_in`: the same rows as `__in`, sent as one array parameter on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lib.db import ids_in

pytestmark = pytest.mark.django_db


def test_ids_in_selects_exactly_the_listed_rows_with_one_parameter() -> None:
    users = [User.objects.create(username=f"u{i}") for i in range(6)]
    wanted = [users[0].pk, users[3].pk, users[5].pk, 10**12]
    with CaptureQueriesContext(connection) as captured:
        found = sorted(User.objects.filter(ids_in("pk", wanted)).values_list("pk", flat=True))
    assert found == sorted(pk for pk in wanted if pk != 10**12)
    assert "unnest" in captured.captured_queries[0]["sql"]
    assert not User.objects.filter(ids_in("pk", [])).exists()


def test_other_databases_get_a_plain_in_list(monkeypatch: Any) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")
    children: list[Any] = list(ids_in("pk", {3, 1}).children)
    assert [(lookup, sorted(values)) for lookup, values in children] == [("pk__in", [1, 3])]
