"""Load the Commerce Country Chart from a file (the matrix CSV or the JSON parse) into the database."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lib.users import resolve_actor
from licensing.models import CountryChart

REASON_COLUMNS = ("CB1", "CB2", "CB3", "NP1", "NP2", "NS1", "NS2", "MT1", "RS1", "RS2", "FC1", "CC1", "CC2", "CC3")


def read_chart(path: Path) -> list[dict[str, Any]]:
    """Rows of {country, name, reasons, footnotes} from the matrix CSV or the JSON parse."""
    if path.suffix.lower() == ".json":
        payload = json.loads(path.read_text(encoding="utf-8"))
        return [
            {
                "country": row["iso2"].strip().upper(),
                "name": row.get("earName", ""),
                "reasons": sorted(set(row.get("x", []))),
                "footnotes": ";".join(str(n) for n in row.get("footnotes", [])),
            }
            for row in payload["rows"]
            if row.get("iso2")
        ]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "iso2" not in reader.fieldnames:
            raise CommandError(f"{path} has no iso2 column: expected the country-chart matrix CSV.")
        columns = [c for c in reader.fieldnames if c in REASON_COLUMNS or (len(c) == 3 and c[:2].isalpha())]
        columns = [c for c in columns if c not in {"iso2"}]
        return [
            {
                "country": row["iso2"].strip().upper(),
                "name": row.get("ear_name", ""),
                "reasons": sorted(c for c in columns if (row.get(c) or "").strip().upper() == "X"),
                "footnotes": row.get("footnotes", ""),
            }
            for row in reader
            if (row.get("iso2") or "").strip()
        ]


class Command(BaseCommand):
    help = "Load the Commerce Country Chart (15 CFR 738 Supp. 1) from the matrix CSV or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", help="Attribute the load to this user (default: the system account).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        rows = read_chart(path)
        if not rows:
            raise CommandError(f"{path} holds no country rows.")
        actor = resolve_actor(options.get("user"))
        reason = f"Country chart loaded from {path.name}"[:100]
        created = changed = 0
        with transaction.atomic():
            existing = {c.country: c for c in CountryChart.objects.all()}
            for row in rows:
                chart = existing.get(row["country"]) or CountryChart(country=row["country"])
                is_new = row["country"] not in existing
                values = {**row, "source": str(path.name)}
                if not is_new and all(getattr(chart, k) == v for k, v in values.items()):
                    continue
                for key, value in values.items():
                    setattr(chart, key, value)
                chart._history_user = actor  # type: ignore[attr-defined]
                chart._change_reason = reason  # type: ignore[attr-defined]
                chart.save()
                created += is_new
                changed += not is_new
        self.stdout.write(f"Country chart: {len(rows)} countries ({created} added, {changed} changed) from {path}.")
