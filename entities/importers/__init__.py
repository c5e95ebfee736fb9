"""List import: CSL CSV/JSON and OFAC's legacy SDN files, into numbered list versions."""

from __future__ import annotations

from entities.importers.common import ImportFormatError, ParsedList
from entities.importers.service import FORMATS, ImportResult, detect_format, import_list, parse_list

__all__ = [
    "FORMATS",
    "ImportFormatError",
    "ImportResult",
    "ParsedList",
    "detect_format",
    "import_list",
    "parse_list",
]
