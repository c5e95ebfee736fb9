"""The matcher against the full 2022 Consolidated Screening List (14,160 records)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from compliance.csl import read_csl_candidates
from compliance.matcher import DEFAULT_THRESHOLD, Index
from tests.compliance.common_companies import COMMON_COMPANIES

CSL = Path(__file__).resolve().parents[2] / "../shared/data/csl/consolidated-2022-05.csv"
pytestmark = pytest.mark.shared_data


@lru_cache(maxsize=1)
def _index() -> Index:
    return Index.build(read_csl_candidates(CSL), version=1)


@pytest.fixture
def csl() -> Index:
    if not CSL.is_file():
        pytest.skip(reason=f"the 2022 CSL is not present at {CSL}")
    return _index()


@pytest.mark.parametrize(
    "variant",
    [
        "Huawei Technologies Co., Ltd.",
        "HUAWEI TECH CO LTD",
        "Huawei Technologies",
        "Huawei",
        "Huawei Technologies Company Limited",
        "Huawei Technologes Co., Ltd",
        "Hauwei Technologies",
        "Technologies Huawei Co Ltd",
        "Hua Wei Technologies",
        "Huawei Tech. Co.",
        "华为技术有限公司",
        "华为",
    ],
)
def test_it_finds_the_real_huawei_entries_from_realistic_variants(csl: Index, variant: str) -> None:
    matches = csl.search(variant, country="CN", threshold=DEFAULT_THRESHOLD)
    assert matches, variant
    assert "huawei" in matches[0].name.lower()


def test_it_finds_huawei_affiliates_by_their_own_names(csl: Index) -> None:
    matches = csl.search("Huawei Device Co Ltd", threshold=DEFAULT_THRESHOLD)
    assert matches[0].name == "Huawei Device Co., Ltd."


def test_common_unrelated_companies_produce_no_hits(csl: Index) -> None:
    hits = {name: [m.matched_name for m in csl.search(name, threshold=DEFAULT_THRESHOLD)] for name in COMMON_COMPANIES}
    assert {name: found for name, found in hits.items() if found} == {}
    assert len(COMMON_COMPANIES) >= 300
