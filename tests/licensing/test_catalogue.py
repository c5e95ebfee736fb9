"""The address book and the product catalogue: picked into requests, never reaching back into them,
classifications confirmed only by reviewers and admins, and a differing ECCN flagged on the case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lib.roles import Role
from licensing import catalogue, services
from licensing.catalogue import ProductData
from licensing.models import AddressBookEntry, Product
from tests.factories import make_user
from tests.licensing.factories import item, make_application, party

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_product(actor: User, *, eccn: str = "5A992", description: str = "Encrypted network router") -> Product:
    return catalogue.save_product(
        actor=actor, data=ProductData(description=description, eccn=eccn, model="RX-7", manufacturer="Acme Networks")
    )


def test_parties_used_on_a_request_are_in_the_shared_address_book_once(sales: User, sales2: User) -> None:
    make_application(applicant=sales, parties=[party("Maple Leaf Instruments Ltd", address="100 Bank St, Ottawa")])
    make_application(applicant=sales, parties=[party("MAPLE LEAF  instruments ltd", address="100 Bank St, Ottawa")])
    assert AddressBookEntry.objects.count() == 1
    # Shared by every Sales user: the other salesperson finds it as they type.
    found = api_for(sales2).get("/api/v1/address-book/", {"q": "maple ottawa"}).json()
    assert [(e["name"], e["country"]) for e in found] == [("Maple Leaf Instruments Ltd", "CA")]
    assert api_for(sales2).get("/api/v1/address-book/", {"q": "CA"}).json()[0]["name"] == "Maple Leaf Instruments Ltd"
    assert api_for(sales2).get("/api/v1/address-book/", {"q": "Shenzhen"}).json() == []


def test_editing_an_address_book_entry_never_changes_a_request_already_filed(
    client_for: ClientFor, sales: User, sales2: User
) -> None:
    filed = make_application(
        applicant=sales, submitted=True, parties=[party("Maple Leaf Instruments Ltd", address="100 Bank St")]
    )
    entry = AddressBookEntry.objects.get()
    response = client_for(sales2).post(
        reverse("licensing:address_edit", args=[entry.pk]),
        {"name": "Maple Leaf Instruments Inc", "address": "200 Elgin St, Ottawa", "country": "CA"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.name, entry.address) == ("Maple Leaf Instruments Inc", "200 Elgin St, Ottawa")
    assert entry.history.first().history_user == sales2  # type: ignore[attr-defined]
    filed_party = filed.parties.get()
    assert (filed_party.name, filed_party.address) == ("Maple Leaf Instruments Ltd", "100 Bank St")
    assert filed_party.history.count() == 1  # type: ignore[attr-defined]


def test_sales_cannot_confirm_a_classification_but_a_reviewer_can_with_attribution(sales: User, reviewer: User) -> None:
    product = make_product(sales)
    assert product.classification == Product.Classification.SELF_CLASSIFIED
    with pytest.raises(PermissionDenied):
        services.confirm_classification(actor=sales, product=product, eccn="5A992", reasons_for_control="AT1")
    assert api_for(sales).post(f"/api/v1/products/{product.pk}/confirm/", {"eccn": "5A992"}).status_code == 403
    product.refresh_from_db()
    assert product.classification == Product.Classification.SELF_CLASSIFIED

    response = api_for(reviewer).post(
        f"/api/v1/products/{product.pk}/confirm/",
        {"eccn": "5a992.c", "reasons_for_control": "at1", "note": "Mass-market encryption, data sheet v3."},
    )
    assert response.status_code == 200
    assert response.json()["classification"] == "confirmed"
    assert response.json()["classified_by"] == "reviewer"
    product.refresh_from_db()
    assert (product.eccn, product.reasons_for_control) == ("5A992.c", "AT1")
    latest = product.history.first()  # type: ignore[attr-defined]
    assert latest.history_user == reviewer
    assert latest.history_change_reason == "Classification confirmed: 5A992.c"


def test_changing_a_confirmed_products_eccn_undoes_the_confirmation(sales: User, reviewer: User) -> None:
    product = make_product(sales)
    services.confirm_classification(actor=reviewer, product=product, eccn="5A992", reasons_for_control="")
    product.refresh_from_db()
    # Editing the description alone keeps it confirmed; retyping the ECCN does not.
    catalogue.save_product(
        actor=sales, product=product, data=ProductData(description="Router, rack-mounted", eccn="5A992")
    )
    product.refresh_from_db()
    assert product.is_confirmed
    catalogue.save_product(actor=sales, product=product, data=ProductData(description="Router", eccn="EAR99"))
    product.refresh_from_db()
    assert product.classification == Product.Classification.SELF_CLASSIFIED
    assert product.history.first().history_change_reason == "Reclassified as EAR99: confirmation undone"  # type: ignore[attr-defined]


def test_an_item_whose_eccn_differs_from_the_confirmed_one_is_flagged_on_the_case(
    client_for: ClientFor, sales: User, reviewer: User
) -> None:
    product = make_product(sales)
    services.confirm_classification(actor=reviewer, product=product, eccn="5A992", reasons_for_control="")
    # Picked from the catalogue, then retyped as EAR99 by the salesperson.
    application = make_application(
        applicant=sales,
        submitted=True,
        items=[item("EAR99", product_id=product.pk), item("5A992", product_id=product.pk, description="Router")],
    )
    assert application.needs_attention
    assert "differs from the catalogue's confirmed classification" in application.attention_reason
    page = client_for(reviewer).get(reverse("licensing:detail", args=[application.pk])).content.decode()
    assert "ECCN differs from the confirmed classification 5A992" in page
    assert "Confirmed classification</span> of" in page


def test_confirming_a_product_flags_open_cases_that_typed_another_eccn(
    sales: User, reviewer: User, reviewer2: User
) -> None:
    product = make_product(sales, eccn="EAR99")
    application = make_application(applicant=sales, submitted=True, items=[item("EAR99", product_id=product.pk)])
    assert not application.needs_attention
    services.confirm_classification(actor=reviewer2, product=product, eccn="5A992", reasons_for_control="NS1")
    application.refresh_from_db()
    assert application.needs_attention
    assert "confirmed classification" in application.attention_reason
    # The item itself is what Sales filed: the catalogue never rewrites it.
    assert application.items.get().eccn == "EAR99"


def test_products_are_searched_by_any_word_and_confirmed_ones_come_first(sales: User, reviewer: User) -> None:
    make_product(sales, description="Router, self-classified")
    confirmed = make_product(sales, description="Router, checked")
    services.confirm_classification(actor=reviewer, product=confirmed, eccn="5A992", reasons_for_control="")
    make_product(sales, description="Oscilloscope", eccn="3A992")
    found = api_for(make_user(Role.SALES)).get("/api/v1/products/", {"q": "router acme"}).json()
    assert [p["description"] for p in found] == ["Router, checked", "Router, self-classified"]
    assert found[0]["classification_label"] == "Confirmed"


def test_the_product_page_shows_the_classification_and_its_history(
    client_for: ClientFor, sales: User, reviewer: User
) -> None:
    product = make_product(sales)
    client_for(reviewer).post(
        reverse("licensing:product_confirm", args=[product.pk]),
        {"eccn": "5A992", "reasons_for_control": "AT1", "note": "Checked against the CCL."},
    )
    page = client_for(sales).get(reverse("licensing:product", args=[product.pk])).content.decode()
    assert "Confirmed by reviewer on" in page
    assert "Classification confirmed: 5A992" in page
    assert "Product added (self-classified)" in page
    # Sales may edit the product but are offered no confirmation.
    assert "Confirm classification" not in page
    assert client_for(sales).post(reverse("licensing:product_confirm", args=[product.pk]), {}).status_code == 403


def test_the_api_files_an_item_picked_from_the_catalogue_and_shows_its_product(sales: User) -> None:
    product = make_product(sales)
    body: dict[str, Any] = {
        "type": "export",
        "destination_country": "JP",
        "end_use": "Hotel Wi-Fi.",
        "parties": [{"role": "end_user", "name": "Fuji Hotels Group", "country": "JP", "address": "Tokyo"}],
        "items": [
            {"eccn": "5A992", "description": "Router", "quantity": "2", "unit_price": "600", "product_id": product.pk}
        ],
    }
    response = api_for(sales).post("/api/v1/applications/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["items"][0]["product_id"] == product.pk
    unknown = {**body, "items": [{**body["items"][0], "product_id": 999999}]}
    assert api_for(sales).post("/api/v1/applications/", unknown, format="json").status_code == 400


def test_a_search_with_a_nul_character_is_answered_rather_than_a_server_error(sales: User) -> None:
    make_product(sales)
    assert api_for(sales).get("/api/v1/products/", {"q": "router\x00"}).json()[0]["model"] == "RX-7"
    assert api_for(sales).get("/api/v1/address-book/", {"q": "\x00"}).status_code == 200
