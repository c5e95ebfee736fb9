"""Issue 19: editing a list entry kept erasing its dates, because the date inputs were filled in
the en-gb display format (21/05/2019), which a browser date input cannot read."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from entities.models import Entity
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


def date_inputs(html: str) -> dict[str, str]:
    """name -> value of every <input type="date">, as a browser would read them."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="date"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            found[name.group(1) if name else "?"] = value.group(1) if value else ""
    return found


def test_the_edit_page_fills_date_inputs_in_iso_format(
    client_for: Callable[[User], Client], compliance_admin: User
) -> None:
    entity = make_entity("Acme Rocket Works", start_date=date(2019, 5, 21), end_date=date(2030, 1, 2))
    html = client_for(compliance_admin).get(reverse("entities:edit", args=[entity.pk])).content.decode()
    assert date_inputs(html) == {"start_date": "2019-05-21", "end_date": "2030-01-02"}


def test_the_delist_page_offers_a_date_input(client_for: Callable[[User], Client], compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works")
    html = client_for(compliance_admin).get(reverse("entities:delist", args=[entity.pk])).content.decode()
    assert "delisted_on" in date_inputs(html)


def test_editing_an_alias_keeps_the_dates(client_for: Callable[[User], Client], compliance_admin: User) -> None:
    entity = make_entity("Acme Rocket Works", aliases=("Acme",), start_date=date(2019, 5, 21))
    client = client_for(compliance_admin)
    page = client.get(reverse("entities:edit", args=[entity.pk]))
    form = page.context["form"]
    # What the browser posts back: every field as the page filled it, dates as their inputs hold them.
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(date_inputs(page.content.decode()))
    data.update(aliases="Acme\nARW", reason="Alias added per 90 FR 2")
    assert client.post(reverse("entities:edit", args=[entity.pk]), data).status_code == 302
    entity = Entity.objects.get(pk=entity.pk)
    assert entity.start_date == date(2019, 5, 21)
    assert entity.version_changes.get(version=entity.last_version).changed_fields == ["aliases"]
