"""Every CSV the product writes goes through here, so no cell can carry a spreadsheet formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse

# What a spreadsheet program takes as the start of a formula (CSV injection), and the control
# characters some of them strip before looking.
FORMULA_PREFIXES = frozenset({"=", "+", "-", "@", "\t", "\r"})


def safe_cell(value: Any) -> str:
    """A cell as text that a spreadsheet shows as text: a formula prefix is quoted away with '."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text line by line, a BOM first so spreadsheet programs read UTF-8 names correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> StreamingHttpResponse:
    """A streamed CSV download: the full list is ~15,000 rows and is never built in memory."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
