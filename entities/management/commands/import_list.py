"""`manage.py import_list PATH [--format ...] [--dry-run] [--user NAME]`: a thin shell on the service."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from entities.importers import FORMATS, ImportFormatError, ImportResult, import_list
from lib.users import resolve_actor


class Command(BaseCommand):
    help = (
        "Import a restricted-party list file (trade.gov CSL as CSV or JSON, or OFAC's legacy sdn/alt/add "
        "CSV files) as one list version. Records of the file's source lists that are missing from it are delisted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The list file; for OFAC, the sdn file (alt and add beside it) or its folder.")
        parser.add_argument("--format", choices=FORMATS, default=None, help="Default: detected from the file.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; write nothing.")
        parser.add_argument("--user", default=None, help="Attribute the change to this user (default: system).")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = resolve_actor(options["user"])
        bar = _ProgressBar(disable=options["verbosity"] == 0)
        try:
            result = import_list(
                actor=actor,
                path=Path(options["path"]),
                fmt=options["format"],
                dry_run=options["dry_run"],
                progress=bar.update,
            )
        except ImportFormatError as exc:
            raise CommandError(f"Nothing imported: {exc}") from None
        finally:
            bar.close()
        for line in result.warnings:
            self.stderr.write(f"warning: {line}")
        if result.duplicates:
            self.stderr.write(
                f"{len(result.duplicates)} key(s) occur more than once in the file; later ones were numbered "
                f"#2, #3...: {'; '.join(result.duplicates[:10])}{' ...' if len(result.duplicates) > 10 else ''}"
            )
        if options["dry_run"]:
            self._print_diff(result)
        self.stdout.write(result.summary())

    def _print_diff(self, result: ImportResult) -> None:
        for label, names, count in (
            ("+", result.added_names, result.added),
            ("~", result.changed_names, result.changed),
            ("-", result.removed_names, result.removed),
        ):
            for name in names:
                self.stdout.write(f"{label} {name}")
            if count > len(names):
                self.stdout.write(f"{label} ... and {count - len(names)} more")


class _ProgressBar:
    """One tqdm bar on stderr per stage of the import ("Reading", "Writing")."""

    def __init__(self, *, disable: bool) -> None:
        self.disable = disable
        self.stage = ""
        self.bar: tqdm[Any] | None = None

    def update(self, stage: str, done: int, total: int) -> None:
        if self.disable:
            return
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total or None, desc=stage, unit=" records", file=sys.stderr, leave=False)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
