"""The request form without a browser: blank rows, any number of rows, errors beside the field,
nothing typed lost, and copying an earlier request into a new draft."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from licensing import services
from licensing.models import Application
from tests.licensing.factories import item, make_application, party
from tests.licensing.test_pages import formset, request_form

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]

BLANK_PARTY = {"role": "", "name": "", "address": "", "country": ""}
BLANK_ITEM = {
    "eccn": "",
    "description": "",
    "quantity": "",
    "unit": "ea",
    "unit_price": "",
    "model": "",
    "manufacturer": "",
    "reasons_for_control": "",
}


def _item(**overrides: str) -> dict[str, str]:
    filled = {"eccn": "EAR99", "description": "Bench multimeters", "quantity": "5", "unit_price": "120"}
    return {**BLANK_ITEM, **filled, **overrides}


def test_the_new_request_page_offers_blank_rows_and_its_script_as_a_file(client_for: ClientFor, sales: User) -> None:
    response = client_for(sales).get(reverse("licensing:create"))
    content = response.content.decode()
    assert [f'name="parties-{i}-name"' in content for i in range(4)] == [True, True, True, False]
    assert [f'name="items-{i}-eccn"' in content for i in range(3)] == [True, True, False]
    assert '<script src="/static/js/request-form.js" defer></script>' in content
    # The row the script clones is inert until cloned: nothing in it is posted.
    assert 'name="parties-__prefix__-name"' in content
    assert "<script>" not in content


def test_rows_added_in_the_page_are_all_saved_and_blank_ones_ignored(client_for: ClientFor, sales: User) -> None:
    parties = [
        {"role": "purchaser", "name": "Maple Trading Inc", "address": "Toronto", "country": "CA"},
        BLANK_PARTY,
        {"role": "intermediate_consignee", "name": "Harbour Freight Ltd", "address": "Halifax", "country": "CA"},
        {"role": "end_user", "name": "Maple Leaf Instruments Ltd", "address": "Ottawa", "country": "CA"},
    ]
    data = request_form(**formset("parties", parties))
    data.update(formset("items", [_item(), BLANK_ITEM, _item(description="Oscilloscopes")]))
    response = client_for(sales).post(reverse("licensing:create"), data)
    assert response.status_code == 302
    application = Application.objects.get()
    assert list(application.parties.values_list("name", flat=True)) == [
        "Maple Trading Inc",
        "Harbour Freight Ltd",
        "Maple Leaf Instruments Ltd",
    ]
    assert application.items.count() == 2


def test_a_row_removed_in_the_page_is_not_saved(client_for: ClientFor, sales: User) -> None:
    parties = [
        {"role": "end_user", "name": "Maple Leaf Instruments Ltd", "address": "Ottawa", "country": "CA"},
        # Half typed, then removed: the script ticks its Delete box; it must neither save nor block.
        {"role": "purchaser", "name": "Half typ", "address": "", "country": "", "DELETE": "on"},
    ]
    response = client_for(sales).post(reverse("licensing:create"), request_form(**formset("parties", parties)))
    assert response.status_code == 302
    assert list(Application.objects.get().parties.values_list("name", flat=True)) == ["Maple Leaf Instruments Ltd"]


def test_a_services_refusal_appears_on_the_row_it_concerns_and_keeps_everything_typed(
    client_for: ClientFor, sales: User
) -> None:
    # Each amount is within its own limit; only their product is too large, which the service
    # finds. The row it names ("items[0]", first kept) is the second on the page.
    data = request_form()
    data.update(formset("items", [BLANK_ITEM, _item(quantity="1000000000", unit_price="1001"), _item(eccn="3A991")]))
    data.update(formset("parties", [BLANK_PARTY, BLANK_PARTY, BLANK_PARTY, {**BLANK_PARTY, "name": "Fourth"}]))
    data["parties-3-role"] = "end_user"
    data["parties-3-country"] = "CA"
    response = client_for(sales).post(reverse("licensing:create"), data)
    assert response.status_code == 200
    items = response.context["items"]
    assert "a line may total at most" in str(items.forms[1].non_field_errors())
    assert not response.context["form"].non_field_errors()
    content = response.content.decode()
    # Everything typed is back, including the rows beyond the page's blank ones.
    assert 'name="parties-3-name" value="Fourth"' in content
    assert 'name="items-2-eccn" value="3A991"' in content
    assert 'name="items-1-quantity" value="1000000000"' in content
    assert not Application.objects.exists()


def test_a_saved_row_is_deleted_with_its_delete_box(client_for: ClientFor, sales: User) -> None:
    application = make_application(
        applicant=sales, parties=[party("Keep Me Ltd"), party("Drop Me Ltd", role="purchaser")]
    )
    kept, dropped = application.parties.order_by("pk")
    rows = [
        {"id": str(kept.pk), "role": "end_user", "name": "Keep Me Ltd", "address": "Ottawa", "country": "CA"},
        {"id": str(dropped.pk), "role": "purchaser", "name": "Drop Me Ltd", "address": "x", "country": "CA"},
    ]
    rows[1]["DELETE"] = "on"
    item_row = application.items.get()
    data = request_form(**formset("parties", rows, initial=2))
    data.update(formset("items", [{**_item(), "id": str(item_row.pk)}], initial=1))
    response = client_for(sales).post(reverse("licensing:edit", args=[application.pk]), data)
    assert response.status_code == 302
    assert list(application.parties.values_list("name", flat=True)) == ["Keep Me Ltd"]


def test_copying_a_request_makes_a_new_draft_with_its_parties_and_items_but_not_its_documents(
    client_for: ClientFor, sales: User
) -> None:
    source = make_application(
        applicant=sales,
        parties=[party("Maple Trading Inc", role="purchaser"), party("Maple Leaf Instruments Ltd")],
        items=[item("3A991", model="MX-2", manufacturer="Acme"), item("EAR99", quantity="3")],
    )
    services.add_document(
        actor=sales, application=source, upload=SimpleUploadedFile("statement.txt", b"end user", "text/plain")
    )
    source = services.submit(actor=sales, application=source)
    response = client_for(sales).post(reverse("licensing:copy", args=[source.pk]))
    copy = Application.objects.exclude(pk=source.pk).get()
    assert response["Location"] == reverse("licensing:edit", args=[copy.pk])
    assert copy.status == "draft" and copy.applicant == sales and copy.reference != source.reference
    assert copy.end_use == source.end_use and copy.total_value == source.total_value
    assert list(copy.parties.values_list("role", "name", "country")) == list(
        source.parties.values_list("role", "name", "country")
    )
    assert list(copy.items.values_list("eccn", "model", "manufacturer", "quantity")) == list(
        source.items.values_list("eccn", "model", "manufacturer", "quantity")
    )
    assert not copy.documents.exists()
    assert copy.history.last().history_change_reason == f"Draft copied from {source.reference}"  # type: ignore[attr-defined]
    # The original is untouched.
    source.refresh_from_db()
    assert source.status == "submitted"


def test_someone_elses_request_cannot_be_copied(client_for: ClientFor, sales: User, sales2: User) -> None:
    source = make_application(applicant=sales)
    assert client_for(sales2).post(reverse("licensing:copy", args=[source.pk])).status_code == 404
    assert Application.objects.count() == 1
