"""Load the Commerce Country Chart from a file (the matrix CSV or the JSON parse) into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib.users import resolve_actor
from licensing.country_chart import SHIPPED_CHART, ChartFormatError, load_chart, read_chart


class Command(BaseCommand):
    help = (
        "Load the Commerce Country Chart (15 CFR 738 Supp. 1) from the matrix CSV or JSON (default: the shipped one)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, nargs="?", default=SHIPPED_CHART)
        parser.add_argument("--user", help="Attribute the load to this user (default: the system account).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            rows = read_chart(path.read_text(encoding="utf-8"), name=path.name)
        except ChartFormatError as exc:
            raise CommandError(str(exc)) from None
        actor = resolve_actor(options.get("user"))
        added, changed = load_chart(actor=actor, rows=rows, source=path.name)
        self.stdout.write(f"Country chart: {len(rows)} countries ({added} added, {changed} changed) from {path}.")
