"""Load the Commerce Country Chart shipped with Clearance (2026-09-24) into an empty chart.

A chart already loaded (from a file, by an admin) is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone


def forwards(apps: Any, schema_editor: Any) -> None:
    from licensing.country_chart import SHIPPED_CHART, SHIPPED_DATE, shipped_rows

    CountryChart = apps.get_model("licensing", "CountryChart")
    History = apps.get_model("licensing", "HistoricalCountryChart")
    if CountryChart.objects.exists():
        return
    now = timezone.now()
    rows = [CountryChart(**row, source=SHIPPED_CHART.name) for row in shipped_rows()]
    CountryChart.objects.bulk_create(rows)
    reason = f"Country chart of {SHIPPED_DATE} shipped with Clearance, loaded on migrate"
    History.objects.bulk_create(
        [
            History(
                country=row.country,
                name=row.name,
                reasons=row.reasons,
                footnotes=row.footnotes,
                source=row.source,
                loaded_at=now,
                history_date=now,
                history_type="+",
                history_change_reason=reason,
                history_user=None,
            )
            for row in rows
        ]
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [("licensing", "0004_i19_hit_entity_identity")]

    operations = [migrations.RunPython(forwards, backwards)]
