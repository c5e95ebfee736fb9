"""A million names: import, screening index and delta re-screen at scale, beside the 2022 CSL.

Generates a CSL CSV of N entities (default 1,000,000) from the real names, aliases and addresses
of the shared lists (the 2022 CSL and the 2026 Entity List), with generated variations: other
words and brand names mixed into real names, legal forms, aliases, street numbers. Seeded, so
two runs generate the same file. Then, for the 2022 CSL and for the generated list, each in a
fresh database on the server of DATABASE_URL, and each step in its own process (so memory
figures are that step's alone):

- import: `import_list` of the whole file, seconds and the importing process's peak memory;
- index: `build_index()` of the imported list, seconds and the memory it holds;
- screen: p50/p95 of `Index.search` for variants of listed names and unlisted names;
- delta: one added entity against P open parties (default 100,000, generated names) the way a
  delta re-screen does it (`compliance.rescreen.chunks._screen_entities`): an index of the
  changed entity from the database, the warm party index's proposals, their full scores.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clearance .venv/bin/python bench/scale.py \
        [--entities 1000000] [--parties 100000] [--queries 1000] [--keep]

Targets (issue 15): import < 10 min and < 2 GB peak; index < 60 s and < 2 GB; screen p95 < 5 ms;
delta < 1 s warm. Never a timed test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
CSL_2022 = DATA / "csl" / "consolidated-2022-05.csv"
EL_2026 = DATA / "entity-list" / "entity-list-2026-07-as-csl.csv"
SEED = 20190516  # the day Huawei was added to the Entity List

EL = "Entity List (EL) - Bureau of Industry and Security"
SDN = "Specially Designated Nationals (SDN) - Treasury Department"
FORMS = ["Co., Ltd.", "LLC", "JSC", "OOO", "GmbH", "Ltd", "S.A.", "Inc.", "Limited", "Corporation", "PJSC", "FZE"]
KINDS = ["Trading", "Technology", "Industrial", "Logistics", "Electronics", "Shipping", "Engineering", "Holdings"]
# Syllables of generated brand names and surnames: millions of distinct words, as a large list has.
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "su",
    "ne",
    "lo",
    "vi",
    "da",
    "ze",
    "an",
    "el",
    "or",
    "us",
    "ix",
    "ba",
    "po",
    "te",
    "qui",
    "ran",
    "sol",
    "mar",
    "ven",
    "tor",
    "gal",
    "lin",
    "dor",
    "hua",
    "wei",
]
SYLLABLES += [
    "xin",
    "zhong",
    "tai",
    "yuan",
    "sha",
    "kim",
    "park",
    "ali",
    "rah",
    "mad",
    "ser",
    "gei",
    "vla",
    "dim",
    "ole",
    "kov",
    "sky",
    "ova",
    "enko",
]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _shared_lists() -> tuple[list[str], list[str], list[str]]:
    """Real names, aliases and addresses from the shared lists (read, never copied)."""
    csv.field_size_limit(sys.maxsize)
    names: list[str] = []
    aliases: list[str] = []
    addresses: list[str] = []
    for path in (CSL_2022, EL_2026):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                names.append(row["name"].strip())
                aliases.extend(a.strip() for a in row.get("alt_names", "").split(";") if a.strip())
                addresses.extend(a.strip() for a in row.get("addresses", "").split(";") if a.strip()[-3:-2] in ", ")
    return [n for n in names if n], aliases, [a for a in addresses if a[-2:].isupper()]


def _variant(rng: random.Random, name: str) -> str:
    words = name.replace(",", " ").split()
    kind = rng.random()
    if kind < 0.35:
        words.insert(rng.randrange(len(words) + 1), _word(rng))
    elif kind < 0.6:
        words = [_word(rng), *words[: rng.randint(1, max(1, len(words)))], rng.choice(KINDS)]
    elif kind < 0.8:
        words = [_word(rng), _word(rng)]
        if rng.random() < 0.6:
            words.append(rng.choice(KINDS))
    else:
        words = [rng.choice(words), _word(rng)]
    if rng.random() < 0.5:
        words.append(rng.choice(FORMS))
    return " ".join(words)


def generate(path: Path, count: int) -> None:
    """A CSL CSV of `count` entities; half numbered (SDN), half keyed by name and country (EL)."""
    with CSL_2022.open(newline="", encoding="utf-8-sig") as handle:
        COLUMNS = next(csv.reader(handle))
    rng = random.Random(SEED)
    names, aliases, addresses = _shared_lists()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(1, count + 1):
            name = _variant(rng, rng.choice(names))
            alts = [_variant(rng, rng.choice(aliases)) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
            if rng.random() < 0.3:
                alts.append(name.upper())
            places = [f"{rng.randint(1, 999)} {rng.choice(addresses)}" for _ in range(rng.choice((1, 1, 1, 2)))]
            numbered = number % 2 == 0
            row = dict.fromkeys(COLUMNS, "")
            row.update(
                source=SDN if numbered else EL,
                entity_number=str(number) if numbered else "",
                _id=str(number) if numbered else "",
                type="Entity",
                name=name,
                alt_names="; ".join(alts),
                addresses="; ".join(places),
                license_policy="Presumption of denial" if not numbered else "",
            )
            writer.writerow([row[c] for c in COLUMNS])


# --- Steps, each in its own process ------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup() -> None:
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def step_import(path: str) -> dict[str, Any]:
    _setup()
    from entities.importers import import_list
    from lib.users import system_user

    before = _peak_mb()
    start = time.perf_counter()
    result = import_list(actor=system_user(), path=path)
    return {
        "seconds": time.perf_counter() - start,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,
        "summary": result.summary(),
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[round(0.95 * (len(ordered) - 1))] * 1000


def step_index(queries: int, parties: int) -> dict[str, Any]:
    _setup()
    import gc

    from compliance.index import build_index
    from compliance.matcher import DEFAULT_THRESHOLD, Candidate
    from compliance.rescreen.party_index import PartyIndex
    from entities.models import Entity, ListVersion
    from entities.records import EntityRecord
    from entities.services import add_entities, begin_version, finish_version
    from lib.users import system_user

    gc.collect()
    rss_before = _rss_mb()
    start = time.perf_counter()
    index = build_index()
    build_s = time.perf_counter() - start
    gc.collect()
    held_mb = _rss_mb() - rss_before

    rng = random.Random(SEED + 1)
    listed = rng.sample(index.candidates, k=min(len(index.candidates), queries * 3 // 4))
    unlisted = [_variant(rng, " ".join(_word(rng) for _ in range(2))) for _ in range(queries - len(listed))]
    listed_queries = [_variant(rng, c.name) if rng.random() < 0.5 else c.name.upper() for c in listed]
    names = listed_queries + unlisted
    rng.shuffle(names)
    for name in names[:20]:
        index.search(name, threshold=DEFAULT_THRESHOLD)
    index._hit_cache.clear()  # cold: no name-stage result cache
    samples = []
    for name in names:
        t = time.perf_counter()
        index.search(name, threshold=DEFAULT_THRESHOLD)
        samples.append(time.perf_counter() - t)
    p50, p95 = _percentiles(samples)

    # Delta re-screen of one added entity against `parties` open parties, warm party index.
    party_names = [_variant(rng, c.name) for c in rng.sample(index.candidates, k=min(len(index), parties // 20))]
    party_names += [f"{_word(rng)} {_word(rng)} {rng.choice(KINDS)} {rng.choice(FORMS)}" for _ in range(parties)]
    party_names = party_names[:parties]
    start = time.perf_counter()
    party_index = PartyIndex.build((i, n, None) for i, n in enumerate(party_names))
    party_build_s = time.perf_counter() - start
    from django.db import transaction

    new_name = party_names[7]
    record = EntityRecord(key=f"EL:bench scale {new_name}:RU", source="EL", name=new_name, aliases=(new_name.upper(),))
    with transaction.atomic():
        version = begin_version(actor=system_user(), kind=ListVersion.Kind.CREATE, reason="bench")
        [entity_id] = add_entities([record], version=version, actor=None, reason="bench")
        finish_version(version, [])
        delta: list[float] = []
        for _ in range(5):
            t = time.perf_counter()
            entities = build_index(version.number, entity_ids=[entity_id])
            proposed = party_index.propose([new_name, new_name.upper()], threshold=DEFAULT_THRESHOLD)
            hits = [
                m
                for pid in proposed
                for m in entities.search(party_names[pid], threshold=DEFAULT_THRESHOLD)
                if pid < len(party_names)
            ]
            delta.append(time.perf_counter() - t)
        transaction.set_rollback(True)
    del Entity, Candidate
    recall = sum(1 for c, q in zip(listed, listed_queries, strict=True) if _found(index, q, c.key)) / len(listed)
    trigram = _trigram_alternative(index, listed, listed_queries)
    return trigram | {
        "recall": recall,
        "entities": len(index),
        "names": len(index._names),
        "build_s": build_s,
        "held_mb": held_mb,
        "peak_mb": _peak_mb(),
        "p50_ms": p50,
        "p95_ms": p95,
        "party_build_s": party_build_s,
        "delta_s": statistics.median(delta[1:]),
        "delta_hits": len(hits),
    }


def _found(index: Any, query: str, key: int) -> bool:
    from compliance.matcher import DEFAULT_THRESHOLD

    return any(m.key == key for m in index.search(query, threshold=DEFAULT_THRESHOLD, limit=10))


def _trigram_alternative(index: Any, listed: list[Any], queries: list[str]) -> dict[str, Any]:
    """Candidate generation in PostgreSQL (pg_trgm) instead of a per-process index.

    Every name and alias, normalised as the matcher does, in one table with a trigram GIN index;
    a screen asks it for the 30 most similar names, which the matcher would then score in full
    (as it scores its own shortlist). Measured: build, size, query p50/p95, and whether the
    listed entity a query varies is among the candidates, beside the in-memory index's recall.
    """
    from django.db import connection

    from compliance.matcher import normalise

    start = time.perf_counter()
    rows = [(c.key, normalise(n)) for c in index.candidates for n in dict.fromkeys((c.name, *c.aliases))]
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("DROP TABLE IF EXISTS bench_trgm")
        cursor.execute("CREATE TABLE bench_trgm (entity_id bigint, name text)")
        raw: Any = cursor.cursor
        with raw.copy("COPY bench_trgm (entity_id, name) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("CREATE INDEX bench_trgm_name ON bench_trgm USING gin (name gin_trgm_ops)")
        cursor.execute("ANALYZE bench_trgm")
        build_s = time.perf_counter() - start
        cursor.execute("SELECT pg_total_relation_size('bench_trgm')")
        size_mb = cursor.fetchone()[0] / 1e6
        cursor.execute("SET pg_trgm.similarity_threshold = 0.3")
        sql = "SELECT entity_id FROM bench_trgm WHERE name %% %s ORDER BY name <-> %s LIMIT 30"
        samples: list[float] = []
        found = 0
        for candidate, query in zip(listed, queries, strict=True):
            normalised = normalise(query)
            t = time.perf_counter()
            cursor.execute(sql, [normalised, normalised])
            ids = {row[0] for row in cursor.fetchall()}
            samples.append(time.perf_counter() - t)
            found += candidate.key in ids
        cursor.execute("DROP TABLE bench_trgm")
    p50, p95 = _percentiles(samples)
    return {
        "trgm_build_s": build_s,
        "trgm_size_mb": size_mb,
        "trgm_p50_ms": p50,
        "trgm_p95_ms": p95,
        "trgm_recall": found / len(listed),
    }


# --- Driver --------------------------------------------------------------------------------------


def _server_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _recreate(url: str, database: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_server_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{database}"')


def _child(database_url: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run(
        [sys.executable, __file__, "--step", *args], env=env, check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--parties", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database", default="clearance_bench_scale")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        kind, *rest = args.step
        result = step_import(rest[0]) if kind == "import" else step_index(int(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return

    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the benchmark creates its own databases there).")
    with tempfile.TemporaryDirectory(prefix="clearance-scale-") as folder:
        generated = Path(folder) / f"generated-{args.entities}.csv"
        start = time.perf_counter()
        generate(generated, args.entities)
        size_mb = generated.stat().st_size / 1e6
        print(f"generated {args.entities:,} entities in {time.perf_counter() - start:.0f} s ({size_mb:.0f} MB)")
        figures: dict[str, dict[str, Any]] = {}
        for label, path in (("2022 CSL", CSL_2022), (f"{args.entities:,} generated", generated)):
            database = f"{args.database}_{'csl' if path == CSL_2022 else 'gen'}"
            _recreate(base_url, database)
            url = _server_url(base_url, database)
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"],
                env={**os.environ, "DATABASE_URL": url},
                check=True,
            )
            imported = _child(url, "import", str(path))
            indexed = _child(url, "index", str(args.queries), str(args.parties))
            figures[label] = imported | indexed
            print(f"  {label}: {imported['summary']}", flush=True)
            if not args.keep:
                _recreate(base_url, database, drop_only=True)

    print(f"\nScale benchmark, seed {SEED}, PostgreSQL; {args.parties:,} open parties for the delta")
    labels = list(figures)
    print(f"{'figure':<46}" + "".join(f"{label:>22}" for label in labels) + "  target")
    rows = (
        ("entities / names indexed", lambda f: f"{f['entities']:,} / {f['names']:,}", ""),
        ("import, seconds", lambda f: f"{f['seconds']:.1f}", "< 600"),
        ("import, peak memory of the process (MB)", lambda f: f"{f['peak_mb']:.0f}", "< 2048"),
        ("index build, seconds", lambda f: f"{f['build_s']:.1f}", "< 60"),
        ("index, memory held (MB)", lambda f: f"{f['held_mb']:.0f}", "< 2048"),
        ("screen p50 / p95 in-process, cold (ms)", lambda f: f"{f['p50_ms']:.2f} / {f['p95_ms']:.2f}", "p95 < 5"),
        ("party index build, seconds", lambda f: f"{f['party_build_s']:.1f}", ""),
        ("delta: one new entity vs open parties (s)", lambda f: f"{f['delta_s']:.3f}", "< 1"),
        ("listed variants found (in-memory index)", lambda f: f"{f['recall']:.1%}", ""),
        ("alternative pg_trgm: build, seconds", lambda f: f"{f['trgm_build_s']:.1f}", ""),
        ("alternative pg_trgm: table + index (MB)", lambda f: f"{f['trgm_size_mb']:.0f}", "shared"),
        (
            "alternative pg_trgm: top-30 p50 / p95 (ms)",
            lambda f: f"{f['trgm_p50_ms']:.2f} / {f['trgm_p95_ms']:.2f}",
            "",
        ),
        ("alternative pg_trgm: variants among top 30", lambda f: f"{f['trgm_recall']:.1%}", ""),
    )
    for name, fmt, target in rows:
        print(f"{name:<46}" + "".join(f"{fmt(figures[label]):>22}" for label in labels) + f"  {target}")


if __name__ == "__main__":
    main()
