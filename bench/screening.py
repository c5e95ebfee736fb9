"""Screening benchmark: the project's matcher against raw rapidfuzz and a naive difflib loop.

Loads the full 2022 CSL (../shared/data/csl/consolidated-2022-05.csv) straight from CSV, so it
needs no database, and screens >= 1,000 queries: variants of listed names (legal forms dropped,
typos, word order, abbreviations) and names of real unrelated companies.

    .venv/bin/python bench/screening.py [--queries 1200] [--api] [--baseline-ref main]

The matcher as committed on --baseline-ref (default main) is timed on the same queries in the
same run, query by query in turn with this working copy's, so a load on the machine hits both.

    .venv/bin/python bench/screening.py --people

--people measures person evidence instead: labelled person pairs built from the UN Security
Council list (../shared/data/un/), name variants of each listed individual carrying their own
birth date, nationality and (for some) a document number, and same-name different-person
negatives (a namesake born years apart, of another nationality); precision and recall are
printed without and with the birth dates, nationalities and documents.

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
from typing import Any

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
    parser.add_argument("--people", action="store_true", help="Person evidence on the UN list (see above).")
    args = parser.parse_args()
    if args.people:
        people_bench()
        return
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


UN = ROOT / "../shared/data/un/un-consolidated-2026-02-27.xml"


def _text(element: Any, tag: str) -> str:
    child = element.find(tag)
    return " ".join((child.text or "").split()) if child is not None and child.text else ""


def read_un_people(path: Path) -> list[Candidate]:
    """The UN list's individuals as matcher candidates, with birth dates, nationalities and documents.

    Read here with ElementTree so the benchmark needs no database; nationalities are kept as the
    country names the list writes, which both sides of each pair share.
    """
    from xml.etree import ElementTree

    from compliance.matcher import document_number

    people: list[Candidate] = []
    # The official file as shipped in ../shared/data, not user input.
    root = ElementTree.parse(path).getroot()  # noqa: S314
    for number, node in enumerate(root.iter("INDIVIDUAL")):
        parts = (_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"))
        name = " ".join(part for part in parts if part)
        if not name:
            continue
        aliases = tuple(
            _text(a, "ALIAS_NAME")
            for a in node.iter("INDIVIDUAL_ALIAS")
            if _text(a, "ALIAS_NAME") and _text(a, "QUALITY") != "Low"
        )
        births: list[str] = []
        for birth in node.iter("INDIVIDUAL_DATE_OF_BIRTH"):
            if _text(birth, "DATE"):
                births.append(_text(birth, "DATE")[:10])
            elif _text(birth, "YEAR"):
                births.append(_text(birth, "YEAR"))
            elif _text(birth, "FROM_YEAR"):
                births.append(f"{_text(birth, 'FROM_YEAR')} to {_text(birth, 'TO_YEAR')}")
        nationalities = tuple(_text(v, ".") for n in node.iter("NATIONALITY") for v in n.iter("VALUE") if v.text)
        documents = tuple(
            document_number(_text(d, "NUMBER")) for d in node.iter("INDIVIDUAL_DOCUMENT") if _text(d, "NUMBER")
        )
        people.append(
            Candidate(
                key=number,
                name=name,
                aliases=aliases,
                birth_dates=tuple(births),
                nationalities=tuple(n.upper() for n in nationalities),
                documents=tuple(d for d in documents if len(d) >= 5),
            )
        )
    return people


def _person_variant(rng: random.Random, name: str) -> str:
    words = name.split()
    roll = rng.random()
    if roll < 0.3 and len(words) > 2:
        del words[rng.randrange(1, len(words) - 1)]  # a middle name left out
    elif roll < 0.6:
        j = rng.randrange(len(words))
        words[j] = _typo(rng, words[j])
    elif roll < 0.8 and len(words) > 1:
        words = [words[-1], *words[:-1]]  # family name first
    return " ".join(words).title()


def _first_year(texts: tuple[str, ...]) -> int | None:
    import re

    for text in texts:
        found = re.search(r"\d{4}", text)
        if found:
            return int(found.group())
    return None


def people_bench() -> None:
    from compliance.matcher import Person

    if not UN.is_file():
        sys.exit(f"the UN list is not at {UN}")
    people = read_un_people(UN)
    index = Index.build(people, version=1)
    rng = random.Random(20260227)
    pairs: list[tuple[str, Person, int, bool]] = []  # (query, evidence, listed key, same person?)
    for person in people:
        year = _first_year(person.birth_dates)
        if year is None:
            continue
        exact_date = next((d for d in person.birth_dates if len(d) == 10), "")
        birth = exact_date if exact_date and rng.random() < 0.5 else str(year)
        documents = person.documents[:1] if person.documents and rng.random() < 0.3 else ()
        pairs.append(
            (_person_variant(rng, person.name), Person(birth, person.nationalities[:1], documents), person.key, True)
        )
        # A namesake: the same name, or a variant of it, for someone born 5 to 30 years apart.
        namesake = person.name.title() if rng.random() < 0.5 else _person_variant(rng, person.name)
        other_year = year + rng.choice((-1, 1)) * rng.randrange(5, 31)
        pairs.append((namesake, Person(str(other_year), ("ELSEWHERE",)), person.key, False))
    positives = sum(1 for *_, same in pairs if same)
    print(
        f"UN list: {len(people)} individuals; {len(pairs)} labelled pairs ({positives} same person, "
        f"{len(pairs) - positives} namesakes), threshold {DEFAULT_THRESHOLD}"
    )
    print(f"{'':<34} {'precision':>9} {'recall':>7} {'TP':>5} {'FP':>5} {'FN':>5}")
    for label, use_evidence in (("name, country and address only", False), ("with birth date, nationality, IDs", True)):
        tp = fp = fn = exact_fp = 0
        for query, evidence, key, same in pairs:
            matches = index.search(
                query, threshold=DEFAULT_THRESHOLD, limit=20, person=evidence if use_evidence else None
            )
            match = next((m for m in matches if m.key == key), None)
            tp += match is not None and same
            fp += match is not None and not same
            fn += same and match is None
            exact_fp += match is not None and not same and match.explanation["name_score"] >= 0.999
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        print(
            f"{label:<34} {precision:>9.3f} {recall:>7.3f} {tp:>5} {fp:>5} {fn:>5}"
            f"  ({exact_fp} of the FP are exact-name namesakes, never lowered by design)"
        )


if __name__ == "__main__":
    main()
