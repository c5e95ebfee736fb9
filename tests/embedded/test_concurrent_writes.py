"""Issue 18, finding 6, on the embedded database: concurrent writes queue for SQLite's one write
lock instead of failing with "database is locked" (a 500). Six simultaneous submits and four
simultaneous decisions each end in success or a 409, never a 500, and the data stays right."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.embedded.conftest import EmbeddedServer, draft_body

pytestmark = pytest.mark.embedded


def at_once(calls: list[Any]) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def drafts(embedded: EmbeddedServer, sales: requests.Session, count: int) -> list[int]:
    ids = []
    for n in range(count):
        body = draft_body(end_use=f"Calibration run {n}")
        response = sales.post(f"{embedded.url}/api/v1/applications/", json=body, timeout=60)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_six_simultaneous_submits_all_succeed(embedded: EmbeddedServer) -> None:
    sales = embedded.api("sales")
    ids = drafts(embedded, sales, 6)
    responses = at_once(
        [lambda pk=pk: sales.post(f"{embedded.url}/api/v1/applications/{pk}/submit/", timeout=120) for pk in ids]
    )
    assert [r.status_code for r in responses] == [200] * 6, [r.text[:200] for r in responses]
    for pk in ids:
        assert sales.get(f"{embedded.url}/api/v1/applications/{pk}/", timeout=30).json()["status"] != "draft"


def test_six_simultaneous_submits_of_one_draft_give_one_success_and_409s(embedded: EmbeddedServer) -> None:
    sales = embedded.api("sales")
    (pk,) = drafts(embedded, sales, 1)
    responses = at_once([lambda: sales.post(f"{embedded.url}/api/v1/applications/{pk}/submit/", timeout=120)] * 6)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409, 409, 409, 409], [r.text[:200] for r in responses]


def test_four_simultaneous_decisions_give_one_decision_and_409s(embedded: EmbeddedServer) -> None:
    sales, reviewer = embedded.api("sales"), embedded.api("reviewer")
    (pk,) = drafts(embedded, sales, 1)
    assert sales.post(f"{embedded.url}/api/v1/applications/{pk}/submit/", timeout=120).status_code == 200
    assert reviewer.post(f"{embedded.url}/api/v1/applications/{pk}/assign/", timeout=60).status_code == 200
    outcomes = ["approved", "denied", "approved", "denied"]
    responses = at_once(
        [
            lambda outcome=outcome: reviewer.post(
                f"{embedded.url}/api/v1/applications/{pk}/decision/",
                json={"outcome": outcome, "rationale": "Known customer; items are general merchandise."},
                timeout=120,
            )
            for outcome in outcomes
        ]
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409], [r.text[:200] for r in responses]
    decided = reviewer.get(f"{embedded.url}/api/v1/applications/{pk}/", timeout=30).json()
    winner = next(r for r in responses if r.status_code == 201).json()
    assert decided["decision"]["outcome"] == winner["decision"]["outcome"]
    assert "already decided" in next(r for r in responses if r.status_code == 409).text


def test_four_simultaneous_decisions_on_four_requests_all_succeed(embedded: EmbeddedServer) -> None:
    sales, reviewer = embedded.api("sales"), embedded.api("reviewer")
    ids = drafts(embedded, sales, 4)
    for pk in ids:
        assert sales.post(f"{embedded.url}/api/v1/applications/{pk}/submit/", timeout=120).status_code == 200
        assert reviewer.post(f"{embedded.url}/api/v1/applications/{pk}/assign/", timeout=60).status_code == 200
    responses = at_once(
        [
            lambda pk=pk: reviewer.post(
                f"{embedded.url}/api/v1/applications/{pk}/decision/",
                json={"outcome": "approved", "rationale": "Known customer."},
                timeout=120,
            )
            for pk in ids
        ]
    )
    assert [r.status_code for r in responses] == [201] * 4, [r.text[:200] for r in responses]
    assert "database is locked" not in embedded.errors_logged()
