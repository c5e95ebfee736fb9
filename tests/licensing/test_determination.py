from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from licensing.determination import ItemFacts, ListedFacts, determine, reasons_for
from licensing.models import CountryChart
from licensing.services import compute_determination
from tests.licensing.factories import item, make_application, party

CHART = {"CN": frozenset({"NS1", "NS2", "MT1", "NP1", "RS2"}), "CA": frozenset({"CB1", "RS1"})}


def listed(
    policy: str = "presumption_of_denial", requirement: str = "For all items subject to the EAR."
) -> ListedFacts:
    return ListedFacts(
        party_name="Huawei Technologies Co Ltd",
        entity_name="Huawei Technologies Co., Ltd.",
        source="EL",
        license_requirement=requirement,
        license_policy=policy,
        status="confirmed",
    )


def test_a_listed_party_with_a_licence_requirement_needs_a_licence_even_for_ear99() -> None:
    result = determine(items=[ItemFacts("EAR99")], destination="CA", listed=[listed()], chart=CHART)
    assert result.required
    assert "EAR99 included" in result.reasons[0]
    assert result.strictest_policy == "presumption_of_denial"
    assert result.strictest_policy_label == "Presumption of denial"


def test_the_strictest_policy_among_hits_is_shown() -> None:
    hits = [listed("case_by_case"), listed("policy_of_denial"), listed("presumption_of_denial")]
    assert determine(items=[], destination="CN", listed=hits, chart=CHART).strictest_policy == "policy_of_denial"


def test_ear99_to_an_unembargoed_country_with_no_hits_needs_no_licence() -> None:
    result = determine(items=[ItemFacts("EAR99")], destination="CA", listed=[], chart=CHART)
    assert not result.required
    assert result.strictest_policy is None


def test_an_item_needs_a_licence_when_its_reasons_meet_an_x_for_the_destination() -> None:
    result = determine(items=[ItemFacts("5A002")], destination="CN", listed=[], chart=CHART)
    assert result.required
    assert "NS1 marked for CN" in result.reasons[0]
    assert not determine(items=[ItemFacts("5A002")], destination="CA", listed=[], chart=CHART).required


def test_anti_terrorism_only_items_need_no_licence_outside_embargoed_destinations() -> None:
    assert reasons_for(ItemFacts("5A992.c")) == ("AT1",)
    assert not determine(items=[ItemFacts("5A992")], destination="CN", listed=[], chart=CHART).required
    embargoed = determine(items=[ItemFacts("EAR99")], destination="IR", listed=[], chart=CHART)
    assert embargoed.required
    assert "embargo" in embargoed.reasons[0]


def test_the_items_own_reasons_for_control_override_the_table() -> None:
    result = determine(items=[ItemFacts("3A991", reasons_for_control="RS2")], destination="CN", listed=[], chart=CHART)
    assert result.required


def test_an_unknown_eccn_or_a_missing_chart_is_said_and_treated_as_needing_a_licence() -> None:
    unknown = determine(items=[ItemFacts("1A234")], destination="CA", listed=[], chart=CHART)
    assert unknown.required
    assert "not in Clearance's reasons-for-control table" in unknown.reasons[0]
    no_chart = determine(items=[ItemFacts("5A002")], destination="CA", listed=[], chart=None)
    assert no_chart.required
    assert "not loaded" in no_chart.reasons[0]
    assert not determine(items=[ItemFacts("EAR99")], destination="CA", listed=[], chart=None).required


@pytest.mark.django_db
def test_the_real_country_chart_loads_and_drives_the_determination(shared_data: Path) -> None:
    call_command("load_country_chart", str(shared_data / "country-chart" / "ear_country_chart_2026-09-24_matrix.csv"))
    assert CountryChart.objects.count() == 200
    assert set(CountryChart.objects.get(country="CN").reasons) >= {"NS1", "NS2", "RS1", "NP1"}
    assert CountryChart.objects.get(country="CA").history.first().history_change_reason.startswith("Country chart")
    to_china = make_application(destination="CN", parties=[party(country="CN")], items=[item("3A001")])
    assert compute_determination(to_china).required
    to_canada = make_application(destination="CA", items=[item("5A002")])
    assert not compute_determination(to_canada).required


@pytest.mark.django_db
def test_the_json_form_of_the_chart_loads_the_same_rows(shared_data: Path) -> None:
    call_command(
        "load_country_chart", str(shared_data / "country-chart" / "ear_country_chart_2026-09-24_EyeWarnYou.json")
    )
    assert set(CountryChart.objects.get(country="CN").reasons) >= {"NS1", "NS2", "RS1", "NP1"}
