from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from compliance.index import reset_index


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # The matcher index is cached per process; each test builds its own list.
    reset_index()
    yield
    reset_index()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The role fixtures create users with passwords; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def country_chart(shared_data: Path, db: None) -> None:
    call_command("load_country_chart", str(shared_data / "country-chart" / "ear_country_chart_2026-09-24_matrix.csv"))
