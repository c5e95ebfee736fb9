from __future__ import annotations

from pathlib import Path

import pytest

from compliance.calibration import LabelledPair, ScoredPair, best_threshold, metrics_at, read_pairs, score_pairs
from compliance.matcher import DEFAULT_THRESHOLD

CURATED = Path(__file__).resolve().parents[2] / "../shared/data/name-pairs/curated-pairs.csv"


def _scored(*items: tuple[float, bool]) -> list[ScoredPair]:
    return [ScoredPair(LabelledPair("a", "b", label), score) for score, label in items]


def test_it_counts_precision_recall_and_f1() -> None:
    metrics = metrics_at(_scored((0.9, True), (0.85, False), (0.7, True), (0.2, False)), 0.8)
    assert (metrics.tp, metrics.fp, metrics.fn, metrics.tn) == (1, 1, 1, 1)
    assert metrics.precision == 0.5
    assert metrics.recall == 0.5
    assert metrics.f1 == 0.5


def test_it_picks_the_f1_maximising_threshold() -> None:
    scored = _scored((0.9, True), (0.8, True), (0.75, False), (0.3, False))
    assert best_threshold(scored, [0.5, 0.76, 0.85]).threshold == 0.76


def test_it_reads_labelled_pairs_and_ignores_other_columns(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("name1,name2,is_match,notes\nA,B,true,x\nC,D,false,\n", encoding="utf-8")
    assert read_pairs(path) == [LabelledPair("A", "B", True), LabelledPair("C", "D", False)]


def test_it_refuses_a_file_without_the_needed_columns(tmp_path: Path) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text("left,right\nA,B\n", encoding="utf-8")
    with pytest.raises(ValueError, match="is_match"):
        read_pairs(path)


@pytest.mark.shared_data
def test_the_default_threshold_reaches_f1_090_on_curated_pairs() -> None:
    if not CURATED.is_file():
        pytest.skip(reason=f"curated name pairs not present at {CURATED}")
    metrics = metrics_at(score_pairs(read_pairs(CURATED)), DEFAULT_THRESHOLD)
    assert metrics.f1 >= 0.90, metrics.as_dict()
