from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.calibration import best_threshold, metrics_at, read_pairs, score_pairs, sweep, threshold_grid
from compliance.models import ScreeningConfig


class Command(BaseCommand):
    help = "Score labelled name pairs (name1, name2, is_match) and report precision, recall and F1 by threshold."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pairs", type=Path)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--threshold", type=float, default=None, help="instead of the configured threshold")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pairs = read_pairs(options["pairs"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        current = options["threshold"] if options["threshold"] is not None else ScreeningConfig.load().threshold
        scored = score_pairs(pairs)
        grid = threshold_grid(0.5, 0.95, 0.05)
        rows = sweep(scored, grid)
        at_current = metrics_at(scored, current)
        best = best_threshold(scored, threshold_grid(0.5, 0.99, 0.01))
        if options["json"]:
            body = {
                "pairs": len(pairs),
                "current": at_current.as_dict(),
                "best": best.as_dict(),
                "thresholds": [m.as_dict() for m in rows],
            }
            self.stdout.write(json.dumps(body, indent=2))
            return
        self.stdout.write(f"{len(pairs)} pairs ({sum(p.is_match for p in pairs)} matches)")
        self.stdout.write(f"{'threshold':>9}  {'precision':>9}  {'recall':>6}  {'F1':>6}")
        for m in rows:
            self.stdout.write(f"{m.threshold:>9.2f}  {m.precision:>9.3f}  {m.recall:>6.3f}  {m.f1:>6.3f}")
        self.stdout.write(
            f"current threshold {current:.2f}: precision {at_current.precision:.3f}, "
            f"recall {at_current.recall:.3f}, F1 {at_current.f1:.3f}"
        )
        self.stdout.write(
            f"F1-maximising threshold {best.threshold:.2f}: precision {best.precision:.3f}, "
            f"recall {best.recall:.3f}, F1 {best.f1:.3f}"
        )
