"""Slices of the real lists in ../shared/data, written to a temporary file for one test.

The 2022 CSL and the 2026 Entity List are too large to import in every test; a test picks the
entries it is about, by their exact name, and imports those rows as the source wrote them (the
rows are read from the real files at test time, never copied into the repository).
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "../shared/data"
CSL_2022 = DATA / "csl/consolidated-2022-05.csv"
ENTITY_LIST_2026 = DATA / "entity-list/entity-list-2026-07-as-csl.csv"


def real_rows(source: Path, names: Collection[str], destination: Path, *, only_source: str = "(EL)") -> Path:
    """Write the rows of `source` whose name is one of `names` (and whose source list is the
    Entity List) to `destination`, with the file's own header; every name must be found."""
    if not source.is_file():
        pytest.skip(reason=f"real list data not present at {source}")
    wanted = set(names)
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        name_at, source_at = header.index("name"), header.index("source")
        rows = [row for row in reader if row[name_at] in wanted and only_source in row[source_at]]
    missing = wanted - {row[name_at] for row in rows}
    assert not missing, f"not in {source.name}: {sorted(missing)}"
    with destination.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return destination
