"""Dashboards reuse their figures for a few seconds: a second look costs almost no queries, the
page says as of when the figures were counted, nobody is shown figures cached for someone who may
see more (or other) requests, and a change shows once the figures expire."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from lib.dashboard import build_dashboard
from tests.factories import make_entity
from tests.lib.cases import decide_request, file_request

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
# Tables the dashboard's figures are counted from; a cached dashboard reads none of them.
FIGURE_TABLES = ("licensing_application", "licensing_decision", "entities_listversion", "compliance_rescreenjob")


def render(client: Client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in captured.captured_queries]


def without_csrf_token(page: str) -> str:
    # The CSRF token and the Content-Security-Policy nonce are drawn afresh for every response.
    page = re.sub(r'nonce="[^"]+"', "", page)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


# Sales' "questions waiting for your answer" is a to-do list, not a figure: it is read fresh on every
# look, so an answer sent a second ago is gone from it.
TO_DO_LISTS = ('FROM "licensing_question"',)


def figure_queries(queries: list[str]) -> list[str]:
    return [
        sql
        for sql in queries
        if any(table in sql for table in FIGURE_TABLES) and not any(live in sql for live in TO_DO_LISTS)
    ]


def requests_shown(user: User) -> float:
    chart = next(c for c in build_dashboard(user).charts if c.key == "requests-by-status")
    return sum(chart.series["Requests"])


@pytest.mark.parametrize("who", ["reviewer", "compliance_admin", "sales"])
def test_a_second_look_reads_the_figures_from_the_cache(
    who: str, request: pytest.FixtureRequest, sales: User, reviewer: User, client_for: ClientFor
) -> None:
    make_entity("Acme Rocket Works")
    decide_request(reviewer, file_request(sales))
    client = client_for(request.getfixturevalue(who))

    first_page, first = render(client)
    second_page, second = render(client)

    assert figure_queries(first), "the first look counts the figures"
    assert figure_queries(second) == []
    assert len(second) < len(first)
    assert without_csrf_token(second_page) == without_csrf_token(first_page)


def test_the_page_says_as_of_when_the_figures_were_counted(reviewer: User, client_for: ClientFor) -> None:
    page, _ = render(client_for(reviewer))
    stamp = re.search(r"Figures as of <time datetime=\"[^\"]+\">(\d\d:\d\d:\d\d) UTC</time>", page)
    assert stamp is not None
    assert "counted again every 30 seconds" in page


def test_a_salespersons_cached_dashboard_never_reaches_a_reviewer_or_another_salesperson(
    sales: User, sales2: User, reviewer: User, client_for: ClientFor
) -> None:
    file_request(sales)
    file_request(sales2)
    file_request(sales2)

    # Sales first, so their figures are in the cache when the others look.
    assert requests_shown(sales) == 1
    sales_page, _ = render(client_for(sales))
    assert requests_shown(reviewer) == 3
    assert requests_shown(sales2) == 2
    reviewer_page, _ = render(client_for(reviewer))

    assert "Review queue by age" in reviewer_page and "Review queue by age" not in sales_page
    assert "Your turnaround" not in render(client_for(sales))[0], "a reviewer's cached charts stay theirs"
    assert requests_shown(sales) == 1


def test_a_reviewers_own_figures_are_not_shown_to_another_reviewer(
    sales: User, reviewer: User, reviewer2: User
) -> None:
    from licensing import services

    decide_request(reviewer, file_request(sales))
    services.assign(actor=reviewer, application=file_request(sales))

    def decided(user: User) -> float:
        chart = next(c for c in build_dashboard(user).charts if c.key == "turnaround")
        return sum(chart.series["Decided"])

    def figures(user: User) -> dict[str, object]:
        return dict(build_dashboard(user).tables["figures"])  # type: ignore[call-overload]

    assert decided(reviewer) == 1
    assert figures(reviewer)["Assigned to you"] == 1
    assert decided(reviewer2) == 0
    assert figures(reviewer2)["Assigned to you"] == 0
    assert figures(reviewer2)["Open requests"] == 1, "the queue's own figures are the same for every reviewer"


def test_a_change_shows_once_the_figures_expire(
    settings: Any, sales: User, reviewer: User, client_for: ClientFor
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 1
    file_request(sales)
    assert requests_shown(reviewer) == 1

    file_request(sales)
    assert requests_shown(reviewer) == 1, "within the cache time the old figure is shown"
    time.sleep(1.2)
    assert requests_shown(reviewer) == 2


def test_with_the_cache_turned_off_every_look_counts_afresh(settings: Any, sales: User, reviewer: User) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 0
    file_request(sales)
    assert requests_shown(reviewer) == 1
    file_request(sales)
    assert requests_shown(reviewer) == 2


def test_an_unreachable_cache_costs_the_queries_not_the_page(
    monkeypatch: pytest.MonkeyPatch, sales: User, reviewer: User, client_for: ClientFor
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    file_request(sales)

    page, queries = render(client_for(reviewer))

    assert "Requests by status" in page
    assert figure_queries(queries)
    assert requests_shown(reviewer) == 1
