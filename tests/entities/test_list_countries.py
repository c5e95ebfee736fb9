"""Entries the lists place in Kosovo (XK) or the former Netherlands Antilles (AN) can be edited in
the browser and over the API, show a country name, and a made-up code is still refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from entities.importers import import_list
from entities.models import Entity, ListVersion
from tests.entities.import_helpers import SDN, csl_row, write_csl_csv
from tests.factories import make_entity

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


@pytest.fixture
def kosovo_entity(tmp_path: Path, compliance_admin: User) -> Entity:
    """Imported the way the CSL writes it: the address ends with Kosovo's code."""
    row = csl_row(
        "KOSOVA TRADING LLC", source=SDN, _id="99001", entity_number="99001", addresses="Rr. Nena Tereze, Pristina, XK"
    )
    import_list(actor=compliance_admin, path=write_csl_csv(tmp_path / "list.csv", [row]))
    entity = Entity.objects.get()
    assert [a.country for a in entity.addresses.all()] == ["XK"]
    return entity


def edit_form_data(client: Client, entity: Entity, **changes: str) -> dict[str, Any]:
    form = client.get(reverse("entities:edit", args=[entity.pk])).context["form"]
    return {**{k: ("" if v is None else v) for k, v in form.initial.items()}, **changes}


def test_an_imported_entity_in_kosovo_is_editable_and_saves(
    kosovo_entity: Entity, client_for: ClientFor, compliance_admin: User
) -> None:
    client = client_for(compliance_admin)
    page = client.get(reverse("entities:edit", args=[kosovo_entity.pk]))
    assert page.status_code == 200
    data = edit_form_data(client, kosovo_entity, remarks="Checked against 91 FR 100", reason="Remarks per 91 FR 100")
    assert data["addresses"].endswith("| XK")

    response = client.post(reverse("entities:edit", args=[kosovo_entity.pk]), data)

    assert response.status_code == 302
    kosovo_entity.refresh_from_db()
    assert kosovo_entity.remarks == "Checked against 91 FR 100"
    assert [a.country for a in kosovo_entity.addresses.all()] == ["XK"]
    assert ListVersion.current_number() == 2


def test_kosovo_is_shown_by_name_on_the_list_and_the_entry(
    kosovo_entity: Entity, client_for: ClientFor, sales: User
) -> None:
    client = client_for(sales)
    listing = client.get(reverse("entities:list")).content.decode()
    detail = client.get(reverse("entities:detail", args=[kosovo_entity.pk])).content.decode()
    assert '<abbr title="Kosovo">XK</abbr>' in listing
    assert 'XK <span class="muted">(Kosovo)</span></li>' in detail


def test_a_new_entry_may_be_placed_in_kosovo(client_for: ClientFor, compliance_admin: User) -> None:
    from tests.entities.test_entity_pages import form_data

    response = client_for(compliance_admin).post(
        reverse("entities:create"), form_data(addresses="Rr. Agim Ramadani | Pristina | xk")
    )
    assert response.status_code == 302
    assert [a.country for a in Entity.objects.get().addresses.all()] == ["XK"]


def test_an_ofac_entry_in_the_netherlands_antilles_stays_editable(
    client_for: ClientFor, compliance_admin: User
) -> None:
    # OFAC's address file still names the Netherlands Antilles; its importer writes AN.
    entity = make_entity("Curacao Shipping NV", actor=compliance_admin, country="AN")
    client = client_for(compliance_admin)
    data = edit_form_data(client, entity, remarks="Still listed", reason="Reviewed")

    response = client.post(reverse("entities:edit", args=[entity.pk]), data)

    assert response.status_code == 302
    detail = client.get(reverse("entities:detail", args=[entity.pk])).content.decode()
    assert "(Netherlands Antilles (dissolved 2010))" in detail


@pytest.mark.parametrize("bogus", ["ZZ", "XX", "UK"])
def test_a_made_up_code_is_refused_with_a_message_and_changes_nothing(
    bogus: str, kosovo_entity: Entity, client_for: ClientFor, compliance_admin: User
) -> None:
    client = client_for(compliance_admin)
    data = edit_form_data(client, kosovo_entity, addresses=f"Main Street | Somewhere | {bogus}", reason="Moved")

    response = client.post(reverse("entities:edit", args=[kosovo_entity.pk]), data)

    assert response.status_code == 200
    assert f"&#x27;{bogus}&#x27; is not a country code the lists use" in response.content.decode()
    assert [a.country for a in kosovo_entity.addresses.all()] == ["XK"]
    assert ListVersion.current_number() == 1


def test_the_api_takes_kosovo_and_refuses_a_made_up_code(
    kosovo_entity: Entity, api_for: Callable[[User], APIClient], compliance_admin: User
) -> None:
    client = api_for(compliance_admin)
    url = f"/api/v1/entities/{kosovo_entity.pk}/"

    moved = client.patch(url, {"addresses": [{"city": "Prizren", "country": "xk"}], "reason": "Moved"}, format="json")
    bogus = client.patch(url, {"addresses": [{"city": "Nowhere", "country": "ZZ"}], "reason": "Moved"}, format="json")

    assert moved.status_code == 200
    assert moved.json()["addresses"][0]["country"] == "XK"
    assert bogus.status_code == 400
    assert "'ZZ' is not a country code the lists use" in bogus.json()["addresses"]["0"]["country"][0]


def test_a_licence_request_may_name_kosovo_as_its_destination() -> None:
    # Kosovo has its own row in the Commerce Country Chart: it is a real export destination.
    from licensing.validators import validate_country

    validate_country("XK")
