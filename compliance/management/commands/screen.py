from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.screening import MAX_LIMIT, screen_name


class Command(BaseCommand):
    help = "Screen one name against the current list: matches at or above the threshold, best first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--country", default=None, help="ISO 3166 alpha-2 code of the party's country")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        result = screen_name(options["name"], country=options["country"], limit=min(options["limit"], MAX_LIMIT))
        if options["json"]:
            body = result.as_dict()
            body.pop("query", None)
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"list version {result.list_version}, threshold {result.threshold:.2f}")
        if not result.matches:
            self.stdout.write("no matches")
        for m in result.matches:
            alias = " (alias)" if m.explanation.get("matched_is_alias") else ""
            self.stdout.write(f"{m.score:.3f}  [{m.source}] {m.name} (id {m.key}) <- {m.matched_name}{alias}")
