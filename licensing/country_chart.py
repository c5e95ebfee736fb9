"""The Commerce Country Chart (15 CFR 738 Supp. 1): reading a chart file, and loading it.

Clearance ships the chart as of 2026-09-24 (`licensing/data/country_chart/`, with its source and
caveats) and loads it on migrate, so a fresh install never treats every controlled item as "the
chart is not loaded". A Compliance admin loads a newer chart in the browser; each load changes
only the rows that differ and leaves a history row for each, attributed and with its reason.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from licensing.models import CountryChart

REASON_COLUMNS = ("CB1", "CB2", "CB3", "NP1", "NP2", "NS1", "NS2", "MT1", "RS1", "RS2", "FC1", "CC1", "CC2", "CC3")
SHIPPED_CHART = Path(__file__).resolve().parent / "data" / "country_chart" / "ear_country_chart_2026-09-24_matrix.csv"
SHIPPED_DATE = "2026-09-24"


class ChartFormatError(ValueError):
    """A file that is not a country chart; the message says what was expected."""


def read_chart(text: str, *, name: str) -> list[dict[str, Any]]:
    """Rows of {country, name, reasons, footnotes} from the matrix CSV or the JSON parse."""
    if name.lower().endswith(".json"):
        try:
            payload = json.loads(text)
            rows = [
                {
                    "country": row["iso2"].strip().upper(),
                    "name": row.get("earName", ""),
                    "reasons": sorted(set(row.get("x", []))),
                    "footnotes": ";".join(str(n) for n in row.get("footnotes", [])),
                }
                for row in payload["rows"]
                if row.get("iso2")
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ChartFormatError(f"{name} is not the country chart's JSON ({exc}).") from None
    else:
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not reader.fieldnames or "iso2" not in reader.fieldnames:
            raise ChartFormatError(f"{name} has no iso2 column: expected the country-chart matrix CSV.")
        columns = [c for c in reader.fieldnames if c in REASON_COLUMNS]
        rows = [
            {
                "country": row["iso2"].strip().upper(),
                "name": row.get("ear_name", ""),
                "reasons": sorted(c for c in columns if (row.get(c) or "").strip().upper() == "X"),
                "footnotes": row.get("footnotes", "") or "",
            }
            for row in reader
            if (row.get("iso2") or "").strip()
        ]
    if not rows:
        raise ChartFormatError(f"{name} holds no country rows.")
    bad = sorted({r["country"] for r in rows if len(r["country"]) != 2 or not r["country"].isalpha()})
    if bad:
        raise ChartFormatError(f"{name}: these are not two-letter country codes: {', '.join(bad[:10])}.")
    return rows


@transaction.atomic
def load_chart(*, actor: User | None, rows: list[dict[str, Any]], source: str, reason: str = "") -> tuple[int, int]:
    """Write the rows that differ (a history row each, attributed); returns (added, changed).

    Countries missing from the new chart are kept: a chart file lists every country, so a missing
    row is a parse problem more likely than a country the regulation dropped.
    """
    reason = (reason or f"Country chart loaded from {source}")[:100]
    existing = {c.country: c for c in CountryChart.objects.select_for_update()}
    added = changed = 0
    for row in rows:
        chart = existing.get(row["country"]) or CountryChart(country=row["country"])
        is_new = row["country"] not in existing
        # A row that reads the same keeps the file it came from: the chart's history then shows
        # which load last changed each country.
        if not is_new and all(getattr(chart, k) == v for k, v in row.items()):
            continue
        values = {**row, "source": source[:500]}
        for key, value in values.items():
            setattr(chart, key, value)
        chart._history_user = actor  # type: ignore[attr-defined]
        chart._change_reason = reason  # type: ignore[attr-defined]
        chart.save()
        added += is_new
        changed += not is_new
    return added, changed


def shipped_rows() -> list[dict[str, Any]]:
    return read_chart(SHIPPED_CHART.read_text(encoding="utf-8"), name=SHIPPED_CHART.name)
