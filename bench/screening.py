"""Screening benchmark: the project's matcher against raw rapidfuzz and a naive difflib loop.

Loads the full 2022 CSL (../shared/data/csl/consolidated-2022-05.csv) straight from CSV, so it
needs no database, and screens >= 1,000 queries: variants of listed names (legal forms dropped,
typos, word order, abbreviations) and names of real unrelated companies.

    .venv/bin/python bench/screening.py [--queries 1200] [--api] [--baseline-ref main]

The matcher as committed on --baseline-ref (default main) is timed on the same queries in the
same run, query by query in turn with this working copy's, so a load on the machine hits both.

--api also times GET /api/v1/screen/ through Django's test client (needs DATABASE_URL and a
migrated database; the in-memory index of the CSV is installed as the process's index).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bench.baseline import load_matcher  # noqa: E402
from compliance.csl import read_csl_candidates  # noqa: E402
from compliance.matcher import DEFAULT_THRESHOLD, Candidate, Index, normalise  # noqa: E402
from tests.compliance.common_companies import COMMON_COMPANIES  # noqa: E402

CSL = ROOT / "../shared/data/csl/consolidated-2022-05.csv"
ABBREVIATE = {"technologies": "Tech", "technology": "Tech", "international": "Intl", "company": "Co", "limited": "Ltd"}


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _variant(rng: random.Random, name: str) -> str:
    words = name.replace(",", " ").split()
    kind = rng.choice(("legal", "typo", "order", "abbrev", "case"))
    if kind == "legal":
        words = [w for w in words if w.strip(".").lower() not in {"co", "ltd", "llc", "inc", "corp", "jsc", "ooo"}]
    elif kind == "typo":
        j = rng.randrange(len(words))
        words[j] = _typo(rng, words[j])
    elif kind == "order" and len(words) > 1:
        words = words[1:] + words[:1]
    elif kind == "abbrev":
        words = [ABBREVIATE.get(w.lower(), w) for w in words]
    else:
        return name.upper()
    return " ".join(words) or name


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def _time(queries: list[str], run: Callable[[str], object]) -> list[float]:
    samples = []
    for q in queries:
        start = time.perf_counter()
        run(q)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1200)
    parser.add_argument("--difflib-sample", type=int, default=20)
    parser.add_argument("--api", action="store_true")
    parser.add_argument("--baseline-ref", default="main")
    parser.add_argument(
        "--with-un",
        action="store_true",
        help="also index the UN list with its original-script names (as a list with them imported screens)",
    )
    args = parser.parse_args()
    if not CSL.is_file():
        sys.exit(f"the 2022 CSL is not at {CSL}")

    start = time.perf_counter()
    candidates = read_csl_candidates(CSL)
    if args.with_un:
        candidates += _un_candidates(first_key=len(candidates) + 1)
    index = Index.build(candidates, version=1)
    build_s = time.perf_counter() - start
    names = [n for c in candidates for n in (c.name, *c.aliases)]
    normalised = [normalise(n) for n in names]
    print(f"CSL: {len(candidates):,} records, {len(names):,} names and aliases; index built in {build_s:.2f} s")

    rng = random.Random(20190516)  # the day Huawei was added to the Entity List
    listed = rng.sample([c.name for c in candidates], k=args.queries - len(COMMON_COMPANIES))
    queries = [_variant(rng, n) for n in listed] + list(COMMON_COMPANIES)
    rng.shuffle(queries)
    print(f"queries: {len(queries):,} ({len(listed):,} variants of listed names, {len(COMMON_COMPANIES)} unlisted)")

    # Warm-up on other names, so neither side pays one-off import costs in the timings; then every
    # remembered result is dropped, so the timed queries are cold (nothing they ask is cached).
    for q in rng.sample([c.name for c in candidates], k=20):
        index.search(q, threshold=DEFAULT_THRESHOLD)
    index.forget_results()

    base = load_matcher(args.baseline_ref)
    base_index = base.Index.build([base.Candidate(**dataclasses.asdict(c)) for c in candidates], version=1)
    for q in queries[:20]:
        base_index.search(q, threshold=DEFAULT_THRESHOLD)
    ours: list[float] = []
    theirs: list[float] = []
    for i, q in enumerate(queries):
        # Which goes first alternates, so that neither profits from the other's warm caches.
        if i % 2:
            theirs += _time([q], lambda q: base_index.search(q, threshold=DEFAULT_THRESHOLD))
        ours += _time([q], lambda q: index.search(q, threshold=DEFAULT_THRESHOLD))
        if not i % 2:
            theirs += _time([q], lambda q: base_index.search(q, threshold=DEFAULT_THRESHOLD))
    raw = _time(
        queries,
        lambda q: process.extract(normalise(q), normalised, scorer=fuzz.token_set_ratio, limit=10, score_cutoff=80),
    )
    sample = queries[: args.difflib_sample]
    naive = _time(
        sample,
        lambda q: sorted(
            ((difflib.SequenceMatcher(None, normalise(q), n).ratio(), n) for n in normalised), reverse=True
        )[:10],
    )

    variants = [_variant(rng, n) for n in listed]
    hits_listed = sum(bool(index.search(q, threshold=DEFAULT_THRESHOLD)) for q in variants)
    hits_unlisted = sum(bool(index.search(q, threshold=DEFAULT_THRESHOLD)) for q in COMMON_COMPANIES)

    o50, o95 = _percentiles(ours)
    b50, b95 = _percentiles(theirs)
    base_listed = sum(bool(base_index.search(q, threshold=DEFAULT_THRESHOLD)) for q in variants)
    base_unlisted = sum(bool(base_index.search(q, threshold=DEFAULT_THRESHOLD)) for q in COMMON_COMPANIES)
    r50, r95 = _percentiles(raw)
    d50, d95 = _percentiles(naive)
    print(f"{'per query':<44} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'Clearance matcher (Index.search), cold':<44} {o50:>8.2f} {o95:>8.2f}")
    print(f"{'the same on ' + args.baseline_ref + ' (baseline)':<44} {b50:>8.2f} {b95:>8.2f}")
    print(f"ratio matcher/baseline: p50 {o50 / b50:.3f}x, p95 {o95 / b95:.3f}x (target p95 <= 1.10x)")
    print(f"{'raw rapidfuzz process.extract token_set':<44} {r50:>8.2f} {r95:>8.2f}")
    print(f"{'naive difflib loop (' + str(len(sample)) + ' queries)':<44} {d50:>8.2f} {d95:>8.2f}")
    print(f"ratio matcher/raw rapidfuzz: p50 {o50 / r50:.2f}x, p95 {o95 / r95:.2f}x")
    print(f"ratio difflib/matcher: p50 {d50 / o50:.0f}x, p95 {d95 / o95:.0f}x")
    print(
        f"hits at threshold {DEFAULT_THRESHOLD}: {hits_listed}/{len(listed)} listed-name variants, "
        f"{hits_unlisted}/{len(COMMON_COMPANIES)} unlisted companies "
        f"(baseline {base_listed}/{len(listed)} and {base_unlisted}/{len(COMMON_COMPANIES)})"
    )

    bulk = [(q, None) for q in queries]
    index.forget_results()
    start = time.perf_counter()
    index.search_many(bulk, threshold=DEFAULT_THRESHOLD)
    bulk_s = time.perf_counter() - start
    start = time.perf_counter()
    index.search_many(bulk, threshold=DEFAULT_THRESHOLD)
    cached_s = time.perf_counter() - start
    print(f"search_many, cold: {len(bulk):,} queries in {bulk_s:.2f} s ({len(bulk) / bulk_s:,.0f}/s on one core)")
    print(f"search_many again, results cached: {cached_s:.3f} s (what a re-screen meets for repeated names)")

    if args.api:
        _time_api(index, queries[:300])


def _un_candidates(*, first_key: int) -> list[Candidate]:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from entities.importers.un import parse_un

    parsed = parse_un(ROOT / "../shared/data/un/un-consolidated-2026-02-27.xml", lambda *_: None)
    return [
        Candidate(
            key=first_key + i,
            name=r.name,
            aliases=r.aliases,
            countries=tuple(sorted({a.country for a in r.addresses if a.country})),
            source="UN",
        )
        for i, r in enumerate(parsed.records)
    ]


def _time_api(index: Index, queries: list[str]) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from compliance import index as index_module
    from entities.models import ListVersion

    setup_test_environment()
    index.version = ListVersion.current_number()
    index_module._index = index
    index_module._checked_at = time.monotonic()
    user, _ = get_user_model().objects.get_or_create(username="bench-screening")
    client = Client()
    client.force_login(user)
    client.get("/api/v1/screen/", {"name": "warm up"})
    index.forget_results()  # cold: these queries were answered above
    samples = _time(queries, lambda q: client.get("/api/v1/screen/", {"name": q}))
    p50, p95 = _percentiles(samples)
    print(f"{'API GET /api/v1/screen/ (test client), cold':<44} {p50:>8.2f} {p95:>8.2f}  ({len(queries)} queries)")


if __name__ == "__main__":
    main()
