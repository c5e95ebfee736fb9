from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from compliance import index as index_module
from compliance.matcher import DEFAULT_THRESHOLD
from compliance.models import ScreeningConfig
from compliance.screening import screen_name, set_threshold
from entities.models import ListVersion
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_index(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Each test builds its own list; never reuse another test's cached index.
    monkeypatch.setattr(index_module, "VERSION_TTL_SECONDS", 0.0)
    index_module.reset_index()
    yield
    index_module.reset_index()


def test_it_stamps_results_with_list_version_and_threshold() -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", aliases=("Huawei",), country="CN")
    result = screen_name("HUAWEI TECH CO LTD", country="cn")
    assert result.list_version == ListVersion.current_number()
    assert result.threshold == DEFAULT_THRESHOLD
    assert [m.key for m in result.matches] == [entity.pk]


def test_the_index_follows_a_new_list_version() -> None:
    make_entity("Acme Rocket Works")
    assert screen_name("Huawei Technologies").matches == []
    make_entity("Huawei Technologies Co., Ltd.")
    assert len(screen_name("Huawei Technologies").matches) == 1


def test_delisted_or_expired_entities_are_not_hits() -> None:
    import datetime

    make_entity("Expired Trading LLC", end_date=datetime.date(2000, 1, 1))
    assert screen_name("Expired Trading").matches == []


def test_the_screen_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", country="CN")
    out = StringIO()
    call_command("screen", "Huawei Tech", "--country", "CN", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["list_version"] == ListVersion.current_number()
    assert body["threshold"] == DEFAULT_THRESHOLD
    match = body["matches"][0]
    assert set(match) == {"entity_id", "name", "matched_name", "source", "score", "explanation"}
    assert match["entity_id"] == entity.pk


def test_the_calibrate_command_reports_f1_at_the_current_threshold(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "pairs.csv"  # type: ignore[operator]
    path.write_text("name1,name2,is_match\nSiemens AG,Siemens Aktiengesellschaft,true\nPol Pot,Paul Murphy,false\n")
    out = StringIO()
    call_command("calibrate", str(path), "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["current"]["f1"] == 1.0
    assert body["current"]["threshold"] == DEFAULT_THRESHOLD
    assert "best" in body


def test_the_api_screens_for_any_signed_in_user(sales: User, api_for: Callable[[User], APIClient]) -> None:
    entity = make_entity("Huawei Technologies Co., Ltd.", country="CN")
    response = api_for(sales).get("/api/v1/screen/", {"name": "Huawei Technologies", "country": "CN"})
    assert response.status_code == 200
    body = response.json()
    assert body["threshold"] == DEFAULT_THRESHOLD
    assert body["list_version"] == ListVersion.current_number()
    assert body["matches"][0]["entity_id"] == entity.pk
    assert body["matches"][0]["explanation"]["country"]["note"] == "country agrees"


def test_the_api_refuses_anonymous_callers() -> None:
    assert APIClient().get("/api/v1/screen/", {"name": "x"}).status_code in {401, 403}


def test_the_page_shows_matches_with_licence_requirement_and_policy(
    reviewer: User, client_for: Callable[[User], Client]
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", license_requirement="For all items subject to the EAR.")
    response = client_for(reviewer).get(reverse("compliance:screen"), {"name": "Huawei Tech", "country": "CN"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Huawei Technologies Co., Ltd." in html
    assert "For all items subject to the EAR." in html
    assert "Presumption of denial" in html
    assert "Why this matched" in html


def test_only_compliance_admins_change_the_threshold_and_it_is_attributed(
    compliance_admin: User, reviewer: User, api_for: Callable[[User], APIClient]
) -> None:
    denied = api_for(reviewer).patch("/api/v1/screening-config/", {"threshold": 0.7, "reason": "x"}, format="json")
    assert denied.status_code == 403
    ok = api_for(compliance_admin).patch(
        "/api/v1/screening-config/", {"threshold": 0.85, "reason": "fewer false alarms"}, format="json"
    )
    assert ok.status_code == 200
    assert ScreeningConfig.load().threshold == 0.85
    latest = ScreeningConfig.history.latest("history_date")
    assert latest.history_user == compliance_admin
    assert latest.history_change_reason == "fewer false alarms"
    assert screen_name("anything").threshold == 0.85


def test_the_settings_page_is_for_compliance_admins(
    compliance_admin: User, sales: User, client_for: Callable[[User], Client]
) -> None:
    assert client_for(sales).get(reverse("compliance:settings")).status_code == 403
    response = client_for(compliance_admin).post(
        reverse("compliance:settings"), {"threshold": "0.75", "reason": "calibrated"}
    )
    assert response.status_code == 302
    assert ScreeningConfig.load().threshold == 0.75


def test_a_threshold_outside_0_to_1_is_refused(compliance_admin: User) -> None:
    with pytest.raises(ValueError):
        set_threshold(actor=compliance_admin, threshold=1.5, reason="typo")
