"""The story the product comes from, on the real May 2022 Consolidated Screening List.

Both requests are made in one test so the 14,000-record list is imported once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from licensing.models import Hit
from tests.licensing.factories import item, make_application, party

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_huawei_needs_a_licence_under_presumption_of_denial_and_a_canadian_lab_does_not(
    shared_data: Path, country_chart: None, sales: User, reviewer: User, client_for: Any
) -> None:
    call_command("import_list", str(shared_data / "csl" / "consolidated-2022-05.csv"), verbosity=0)

    huawei = make_application(
        applicant=sales,
        submitted=True,
        destination="CN",
        parties=[party("Huawei Technologies Co Ltd", country="CN", address="Bantian, Longgang District, Shenzhen")],
        items=[item("EAR99", description="Office chairs")],
    )
    hits = list(Hit.objects.filter(party__application=huawei).select_related("entity"))
    entity_list = [h for h in hits if h.entity.source == "EL" and "Huawei Technologies" in h.entity.name]
    assert entity_list, f"expected an Entity List hit, got {[(h.entity.source, h.entity.name) for h in hits]}"
    assert all(h.license_policy == "presumption_of_denial" for h in entity_list)
    assert all(h.list_version == 1 and h.threshold > 0 and h.explanation for h in hits)
    assert huawei.determination is not None
    assert huawei.determination["required"] is True
    assert huawei.determination["strictest_policy"] == "presumption_of_denial"
    page = client_for(reviewer).get(reverse("licensing:detail", args=[huawei.pk])).content.decode()
    assert "Huawei Technologies" in page
    assert "licence required" in page
    assert "Presumption of denial" in page

    canada = make_application(
        applicant=sales,
        submitted=True,
        destination="CA",
        parties=[party("Maple Leaf Instruments Ltd", country="CA", address="1 Main Street, Ottawa")],
        items=[item("EAR99", description="Bench multimeters")],
    )
    assert not Hit.objects.filter(party__application=canada).exists()
    assert canada.determination is not None
    assert canada.determination["required"] is False
    page = client_for(sales).get(reverse("licensing:detail", args=[canada.pk])).content.decode()
    assert "no licence required" in page
    assert "No party matched the list." in page
