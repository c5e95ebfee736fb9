"""Issue 18, findings 1 and 5, on the embedded database: a request whose totals do not fit is
refused whole (on SQLite the row used to be saved and break every list), and no size of input
gives a 500."""

from __future__ import annotations

import pytest
import requests

from tests.embedded.conftest import EmbeddedServer, draft_body

pytestmark = pytest.mark.embedded


def count_requests(api: requests.Session, embedded: EmbeddedServer) -> int:
    count: int = api.get(f"{embedded.url}/api/v1/applications/", timeout=30).json()["count"]
    return count


def test_twenty_huge_lines_are_refused_whole_and_every_list_still_works(embedded: EmbeddedServer) -> None:
    sales = embedded.api("sales")
    before = count_requests(sales, embedded)
    huge = [{"eccn": "EAR99", "description": "Bulk", "quantity": "99999999.99", "unit_price": "999999.99"}] * 20
    response = sales.post(f"{embedded.url}/api/v1/applications/", json=draft_body(items=huge), timeout=60)
    assert response.status_code == 400, response.text[:300]
    assert "a request may total at most 10,000,000,000,000" in response.json()["total_value"][0]
    absurd = {"eccn": "EAR99", "description": "x", "quantity": "999999999999.99", "unit_price": "999999999999.99"}
    assert (
        sales.post(f"{embedded.url}/api/v1/applications/", json=draft_body(items=[absurd]), timeout=60).status_code
        == 400
    )
    assert count_requests(sales, embedded) == before, "nothing is written"
    assert embedded.session("sales").get(f"{embedded.url}/licensing/", timeout=60).status_code == 200
    reviewer = embedded.session("reviewer")
    assert reviewer.get(f"{embedded.url}/licensing/queue/", params={"status": "draft"}, timeout=60).status_code == 200


def test_oversized_and_deeply_nested_input_is_a_400_not_a_500(embedded: EmbeddedServer) -> None:
    sales = embedded.api("sales")
    before = count_requests(sales, embedded)
    parties = draft_body()["parties"] * 5_000
    many = sales.post(f"{embedded.url}/api/v1/applications/", json=draft_body(parties=parties), timeout=120)
    assert many.status_code == 400
    assert "A request has at most 50 parties" in many.text
    long_text = sales.post(f"{embedded.url}/api/v1/applications/", json=draft_body(end_use="x" * 100_000), timeout=60)
    assert long_text.status_code == 400
    deep = '{"parties": ' + "[" * 5_000 + "]" * 5_000 + "}"
    nested = sales.post(
        f"{embedded.url}/api/v1/applications/",
        data=deep,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert nested.status_code == 400
    page = embedded.session("sales")
    forged = page.post(
        f"{embedded.url}/licensing/new/",
        data={
            "csrfmiddlewaretoken": page.cookies["csrftoken"],
            "app-type": "export",
            "app-destination_country": "CA",
            "app-end_use": "x",
            "parties-TOTAL_FORMS": "100000",
            "parties-INITIAL_FORMS": "0",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
        },
        headers={"Referer": f"{embedded.url}/licensing/new/"},
        timeout=60,
    )
    assert forged.status_code == 200
    assert "Please submit at most 50 forms." in forged.text
    assert count_requests(sales, embedded) == before
