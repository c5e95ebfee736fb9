"""The acceptance import of the real OFAC legacy files in ../shared/data (skipped when absent).

Apart from tests/entities/test_import_real_lists.py, whose tests share one import of the 2022 CSL:
this one starts from an empty list.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from entities.importers import import_list
from entities.models import Entity

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_the_ofac_legacy_files_load_as_the_sdn_list(shared_data: Path, compliance_admin: User) -> None:
    result = import_list(actor=compliance_admin, path=shared_data / "ofac" / "sdn_2021-07_moov-watchman-bench.csv")

    assert result.fmt == "ofac-sdn"
    assert result.sources == ["SDN"]
    assert result.added == 8976
    cuba = Entity.objects.get(key="SDN:306")
    assert cuba.name == "BANCO NACIONAL DE CUBA"
    assert cuba.programs == ["CUBA"]
    assert cuba.remarks == "a.k.a. 'BNC'."
    assert "NATIONAL BANK OF CUBA" in [a.name for a in cuba.aliases.all()]
    assert "CH" in cuba.countries  # "Switzerland" mapped to its ISO code
    assert Entity.objects.filter(entity_type="vessel").count() == 406
    assert import_list(actor=compliance_admin, path=shared_data / "ofac").unchanged == 8976
