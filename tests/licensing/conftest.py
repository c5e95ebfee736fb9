from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def country_chart(shared_data: Path, db: None) -> None:
    call_command("load_country_chart", str(shared_data / "country-chart" / "ear_country_chart_2026-09-24_matrix.csv"))
