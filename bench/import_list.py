"""List import benchmark: the full 2022 CSL into PostgreSQL, the no-op re-import, the 2026 EL update.

Each timing is printed with ratios against baselines measured in the same run on the same file:
parse-only (read and validate every record) and a raw COPY of the same records (key, source,
name, hash and the whole record as JSON) into a temporary table, which is roughly the floor for
getting 14,160 records into PostgreSQL at all.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clearance .venv/bin/python bench/import_list.py \
        [--database clearance_bench_import] [--keep]

A fresh database (default clearance_bench_import, on the server of DATABASE_URL) is created and
migrated, then dropped unless --keep. Never a timed test: the suite only checks behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CSL_2022 = DATA / "csl" / "consolidated-2022-05.csv"
EL_2026 = DATA / "entity-list" / "entity-list-2026-07-as-csl.csv"
T = TypeVar("T")


CPU: dict[str, float] = {}


def _timed(fn: Callable[[], T], label: str = "") -> tuple[float, T]:
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    CPU[label] = time.process_time() - cpu
    return time.perf_counter() - start, value


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _recreate(url: str, database: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{database}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clearance_bench_import")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the benchmark creates its own database there).")
    if not CSL_2022.is_file():
        sys.exit(f"Real list data not found at {DATA}.")

    _recreate(base_url, args.database)
    os.environ["DATABASE_URL"] = _server_url(base_url, args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # As in production, the re-screen job each list version records is queued for a worker
    # (here an in-memory broker nobody consumes), not run inside the timed import.
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from entities.importers import import_list, parse_list
    from lib.users import system_user

    call_command("migrate", verbosity=0)
    actor = system_user()
    try:
        parse_s, parsed = _timed(lambda: parse_list(CSL_2022, "csl-csv"), "parse")
        rows = [
            (
                r.key,
                r.source,
                r.name,
                r.content_hash(),
                json.dumps(r.entity_fields() | {"aliases": list(r.aliases)}, default=str),
            )
            for r in parsed.records
        ]

        def raw_copy() -> None:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "CREATE TEMP TABLE bench_copy (key text, source text, name text, hash text, record jsonb)"
                    )
                    raw: Any = cursor.cursor
                    with raw.copy("COPY bench_copy (key, source, name, hash, record) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                transaction.set_rollback(True)

        copy_s, _ = _timed(raw_copy, "copy")
        full_s, full = _timed(lambda: import_list(actor=actor, path=CSL_2022), "full")
        noop_s, noop = _timed(lambda: import_list(actor=actor, path=CSL_2022), "noop")
        el_s, el = _timed(lambda: import_list(actor=actor, path=EL_2026), "el")
    finally:
        connection.close()
        if not args.keep:
            _recreate(base_url, args.database, drop_only=True)

    print(f"\nList import benchmark, {len(parsed.records):,} records of {CSL_2022.name}, PostgreSQL")
    # CPU is this process's own time (the database server's is not in it): on a busy machine
    # it shows what the wall-clock figures would be without the wait for a core.
    print(f"{'step':<44}{'seconds':>9}{'cpu s':>8}{'x parse':>9}{'x COPY':>8}  target")
    figures = (
        ("baseline: parse and validate only", parse_s, "parse", ""),
        ("baseline: raw COPY of the same records", copy_s, "copy", ""),
        ("full import (empty list, with history)", full_s, "full", "< 8 s, < 10x COPY"),
        ("no-op re-import of the same file", noop_s, "noop", "< 2 s"),
        ("2026 Entity List update", el_s, "el", "< 4 s"),
    )
    for label, seconds, key, target in figures:
        print(f"{label:<44}{seconds:>9.2f}{CPU[key]:>8.2f}{seconds / parse_s:>9.1f}{seconds / copy_s:>8.1f}  {target}")
    print()
    for result in (full, noop, el):
        print(" ", result.summary())
    print("  (re-screen jobs recorded by each version are queued for a worker, not timed here)")
    ok = full_s < 8 and full_s < 10 * copy_s and noop_s < 2 and el_s < 4
    print(f"\nTargets (full < 8 s and < 10x COPY, re-import < 2 s, EL update < 4 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
