"""Read a trade.gov Consolidated Screening List CSV straight into matcher `Candidate`s.

For benchmarks and data-backed tests that need the whole list without a database; the real
import into the list models is `entities`' job.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from compliance.matcher import Candidate

_SOURCE_CODE = re.compile(r"\(([A-Z]{2,5})\)")
_TRAILING_CC = re.compile(r",\s*([A-Z]{2})\s*$")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def read_csl_candidates(path: Path) -> list[Candidate]:
    """One `Candidate` per CSL row, keyed by row number; countries from address endings."""
    csv.field_size_limit(sys.maxsize)
    candidates: list[Candidate] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=1):
            addresses = _split(row.get("addresses", ""))
            countries = {m.group(1) for a in addresses if (m := _TRAILING_CC.search(a))}
            countries.update(a for a in addresses if len(a) == 2 and a.isupper())
            code = _SOURCE_CODE.search(row.get("source", ""))
            candidates.append(
                Candidate(
                    key=number,
                    name=row["name"].strip(),
                    aliases=_split(row.get("alt_names", "")),
                    countries=tuple(sorted(countries)),
                    source=code.group(1) if code else row.get("source", ""),
                    addresses=addresses,
                )
            )
    return candidates
