"""The Commerce Country Chart ships with Clearance, is loaded on migrate, and a Compliance admin
loads a newer one in the browser, every load kept in its history."""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from licensing.country_chart import SHIPPED_CHART
from licensing.models import CountryChart
from licensing.services import compute_determination
from tests.licensing.factories import item, make_application

pytestmark = pytest.mark.django_db

shipped = importlib.import_module("licensing.migrations.0005_i19_ship_country_chart")


@pytest.fixture
def migrated(db: None) -> None:
    """The chart as a fresh install has it (a test that flushed the database may have emptied it)."""
    CountryChart.objects.all().delete()
    shipped.forwards(apps, None)


def test_the_shipped_chart_is_loaded_on_migrate_with_its_source_and_date(migrated: None) -> None:
    assert CountryChart.objects.count() == 200
    china = CountryChart.objects.get(country="CN")
    assert {"NS1", "NS2", "RS1", "NP1"} <= set(china.reasons)
    assert china.source == SHIPPED_CHART.name
    assert china.history.first().history_change_reason == (
        "Country chart of 2026-09-24 shipped with Clearance, loaded on migrate"
    )
    assert (SHIPPED_CHART.parent / "README.md").read_text().count("2026-09-24") >= 1


def test_a_controlled_item_is_judged_against_the_shipped_chart(migrated: None, sales: User) -> None:
    application = make_application(applicant=sales, destination="CN", items=[item("5A002")])
    result = compute_determination(application)
    assert result.required
    assert not any("not loaded" in reason for reason in result.reasons)


def test_a_compliance_admin_loads_a_newer_chart_in_the_browser_and_sees_its_history(
    migrated: None, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    rows = list(csv.DictReader(io.StringIO(SHIPPED_CHART.read_text(encoding="utf-8"))))
    for row in rows:
        if row["iso2"] == "CA":
            row["NS1"] = "X"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile("ear_country_chart_2026-12-01.csv", out.getvalue().encode())
    client = client_for(compliance_admin)

    response = client.post(reverse("licensing:country_chart"), {"file": upload}, follow=True)

    page = response.content.decode()
    assert "200 countries, 0 added, 1 changed" in page
    canada = CountryChart.objects.get(country="CA")
    assert "NS1" in canada.reasons
    latest = canada.history.first()
    assert latest.history_user == compliance_admin
    assert latest.history_change_reason == "Country chart loaded from ear_country_chart_2026-12-01.csv"
    assert "ear_country_chart_2026-12-01.csv" in page and "the system" in page, "both loads are listed"


def test_a_file_that_is_not_a_chart_loads_nothing(
    migrated: None, compliance_admin: User, client_for: Callable[[User], Client]
) -> None:
    upload = SimpleUploadedFile("entities.csv", b"name,country\nAcme,CN\n")
    response = client_for(compliance_admin).post(reverse("licensing:country_chart"), {"file": upload}, follow=True)
    assert "Nothing was loaded: entities.csv has no iso2 column" in response.content.decode()
    assert not CountryChart.history.filter(history_user=compliance_admin).exists()
