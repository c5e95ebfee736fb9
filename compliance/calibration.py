"""Threshold calibration over labelled name pairs. Pure: no Django, no database.

Compliance admins choose the screening threshold; this tells them what a threshold costs in
missed listed parties (recall) and in false alarms reviewers must clear (precision).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from compliance.matcher import score_pair

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "match"})


@dataclass(frozen=True, slots=True)
class LabelledPair:
    name1: str
    name2: str
    is_match: bool


@dataclass(frozen=True, slots=True)
class ScoredPair:
    pair: LabelledPair
    score: float


@dataclass(frozen=True, slots=True)
class Metrics:
    threshold: float
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    tn: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "threshold": round(self.threshold, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


def read_pairs(path: Path) -> list[LabelledPair]:
    """Read a CSV with columns name1, name2, is_match (other columns are ignored)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"name1", "name2", "is_match"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [
            LabelledPair(row["name1"], row["name2"], row["is_match"].strip().lower() in TRUE_WORDS) for row in reader
        ]


def score_pairs(
    pairs: Iterable[LabelledPair],
    scorer: Callable[[str, str], float] | None = None,
) -> list[ScoredPair]:
    def default(a: str, b: str) -> float:
        return score_pair(a, b)[0]

    score = scorer or default
    return [ScoredPair(p, score(p.name1, p.name2)) for p in pairs]


def metrics_at(scored: Sequence[ScoredPair], threshold: float) -> Metrics:
    """Precision, recall and F1 when every pair scoring >= threshold is called a match."""
    tp = fp = fn = tn = 0
    for item in scored:
        predicted = item.score >= threshold
        if predicted and item.pair.is_match:
            tp += 1
        elif predicted:
            fp += 1
        elif item.pair.is_match:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Metrics(threshold, precision, recall, f1, tp, fp, fn, tn)


def threshold_grid(start: float = 0.5, stop: float = 0.99, step: float = 0.01) -> list[float]:
    count = round((stop - start) / step) + 1
    return [round(start + i * step, 4) for i in range(count)]


def sweep(scored: Sequence[ScoredPair], thresholds: Iterable[float]) -> list[Metrics]:
    return [metrics_at(scored, t) for t in thresholds]


def best_threshold(scored: Sequence[ScoredPair], thresholds: Iterable[float]) -> Metrics:
    """The F1-maximising threshold; on ties the higher one, which means fewer false alarms."""
    return max(sweep(scored, thresholds), key=lambda m: (round(m.f1, 9), m.threshold))
