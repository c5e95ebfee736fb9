"""Re-screening benchmark: end to end through Celery, Redis and PostgreSQL, against raw rapidfuzz.

Builds N open-case parties (default 100,000; company and person names made from word lists,
with some variants of listed names) against the full 2022 CSL imported with `import_list`, starts
a real worker, and measures:

(a) one entity added with six aliases: from the list change's commit until its delta job has
    recorded every hit, against a raw rapidfuzz cdist of the same 7 names over the N party names;
(b) a full re-screen of the N parties against the whole list, against a raw cdist of the N party
    names over every listed name and alias;
(c) with --clearances K (default 1,000): full re-screens without remembered clearances and then
    with K of them in place (K hits found in (b) remembered), each from no hits and again with
    nothing changed, printed side by side: remembering must not make re-screening slower.

    .venv/bin/python bench/rescreen.py [--parties 100000] [--database clearance_bench_rescreen]
        [--redis-url redis://127.0.0.1:6379/7] [--concurrency 2] [--skip-full] [--skip-delta]
        [--clearances 1000]

--skip-delta skips (a), --skip-full skips (b), --clearances 0 skips (c).

The database is created (and the CSL imported) on first use and reused; parties are rebuilt
when --parties changes. The Redis db is flushed. Nothing is timed inside the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CSL = ROOT.parent / "shared" / "data" / "csl" / "consolidated-2022-05.csv"

FIRST = [
    "James",
    "Maria",
    "Wei",
    "Olga",
    "Ahmed",
    "Fatima",
    "Hans",
    "Yuki",
    "Carlos",
    "Ana",
    "Ivan",
    "Priya",
    "Chen",
    "Sofia",
    "Pierre",
    "Ingrid",
    "Omar",
    "Leila",
    "Kenji",
    "Elena",
    "Mateo",
    "Aisha",
    "Lars",
    "Mei",
    "Dmitri",
    "Nadia",
    "Jorge",
    "Hana",
    "Tomasz",
    "Amara",
    "Luca",
    "Sara",
    "Arjun",
    "Eva",
    "Mohammed",
    "Lena",
    "Raj",
    "Yara",
]
LAST = [
    "Smith",
    "Garcia",
    "Wang",
    "Ivanova",
    "Hassan",
    "Khan",
    "Mueller",
    "Tanaka",
    "Rossi",
    "Silva",
    "Petrov",
    "Sharma",
    "Li",
    "Dubois",
    "Larsen",
    "Haddad",
    "Sato",
    "Novak",
    "Kowalski",
    "Okafor",
    "Jensen",
    "Moreau",
    "Fischer",
    "Lopez",
    "Nguyen",
    "Kim",
    "Cohen",
    "Ahmadi",
    "Bianchi",
    "Costa",
    "Schmidt",
    "Yilmaz",
    "Park",
]
ADJECTIVES = [
    "Northern",
    "Southern",
    "Eastern",
    "Western",
    "Blue",
    "Green",
    "Golden",
    "Silver",
    "Royal",
    "United",
    "Pacific",
    "Atlantic",
    "Alpine",
    "Coastal",
    "Summit",
    "Pioneer",
    "Liberty",
    "Crystal",
    "Evergreen",
    "Redwood",
    "Falcon",
    "Eagle",
    "Orion",
    "Nova",
    "Apex",
    "Vertex",
    "Polar",
    "Harbor",
    "Maple",
    "Cedar",
    "Granite",
    "Sterling",
    "Meridian",
    "Horizon",
    "Aurora",
    "Phoenix",
    "Lotus",
    "Jade",
    "Amber",
]
NOUNS = [
    "Precision",
    "Dynamics",
    "Instruments",
    "Components",
    "Electronics",
    "Optics",
    "Robotics",
    "Materials",
    "Metals",
    "Plastics",
    "Textiles",
    "Foods",
    "Logistics",
    "Machinery",
    "Devices",
    "Circuits",
    "Sensors",
    "Controls",
    "Motors",
    "Pumps",
    "Valves",
    "Tools",
    "Fabrics",
    "Ceramics",
    "Coatings",
    "Chemicals",
    "Polymers",
    "Fasteners",
    "Bearings",
    "Cables",
    "Semiconductors",
    "Software",
    "Analytics",
    "Medical",
    "Marine",
]
KINDS = [
    "Trading",
    "Industries",
    "Solutions",
    "Systems",
    "Technologies",
    "Manufacturing",
    "Supply",
    "Engineering",
    "Group",
]
FORMS = [
    "Ltd.",
    "LLC",
    "GmbH",
    "S.A.",
    "Inc.",
    "Co., Ltd.",
    "B.V.",
    "AB",
    "Pty Ltd",
    "S.r.l.",
    "SAS",
    "Oy",
    "A/S",
    "JSC",
]
COUNTRIES = [
    "US",
    "DE",
    "FR",
    "GB",
    "CN",
    "JP",
    "KR",
    "IN",
    "BR",
    "CA",
    "MX",
    "IT",
    "ES",
    "NL",
    "SE",
    "PL",
    "TR",
    "AE",
    "SG",
    "MY",
    "TH",
    "VN",
    "ZA",
    "AU",
    "RU",
]
# The entity added in (a): its name and aliases, and party names made to match it.
NEW_ENTITY = "Zenith Orbital Dynamics Research Institute"
NEW_ALIASES = (
    "Zenith Orbital Dynamics",
    "ZODRI",
    "Zenith Orbital Research",
    "Zenit Orbital Dynamics Institute",
    "Zenith Orbit Dynamics Co",
    "Zenith Space Dynamics Research",
)
PLANTED = [
    "Zenith Orbital Dynamics Research Institute",
    "ZENITH ORBITAL DYNAMICS",
    "Zenith Orbital Dynamics Co., Ltd.",
    "Zenith Orbital Research",
    "Zenit Orbital Dynamics Institute",
    "Zenith Orbital Dynamics Resarch Institute",
]


def company(rng: random.Random) -> str:
    parts = [rng.choice(ADJECTIVES), rng.choice(NOUNS)]
    if rng.random() < 0.5:
        parts.append(rng.choice(KINDS))
    return " ".join(parts) + " " + rng.choice(FORMS)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def listed_variant(rng: random.Random, name: str) -> str:
    words = name.replace(",", " ").split()
    kind = rng.choice(("upper", "legal", "typo", "same"))
    if kind == "upper":
        return name.upper()
    if kind == "legal":
        return " ".join(w for w in words if w.strip(".").lower() not in {"co", "ltd", "llc", "inc", "corp"})
    if kind == "typo":
        j = rng.randrange(len(words))
        w = words[j]
        if len(w) > 4:
            i = rng.randrange(1, len(w) - 2)
            words[j] = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        return " ".join(words)
    return name


def setup_django(database: str, redis_url: str) -> str:
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label}: {elapsed:.2f} s", flush=True)
    return elapsed, value


def ensure_list() -> None:
    from django.core.management import call_command

    from entities.models import Entity

    if Entity.objects.filter(source="SDN").exists():
        return
    if not CSL.exists():
        sys.exit(f"The 2022 CSL is needed at {CSL}")
    timed("import the 2022 CSL (manage.py import_list)", lambda: call_command("import_list", str(CSL), verbosity=0))


def ensure_parties(n: int, rng: random.Random) -> None:
    """N open-case parties: 60 % companies, 38 % people, 2 % variants of listed names (the likely hits)."""
    from django.db import connection

    from compliance.models import RescreenChunk, RescreenJob
    from entities.models import Entity, ListVersion
    from lib.roles import Role
    from licensing.models import Application, Hit, Party
    from tests.factories import make_user

    if Party.objects.count() == n + len(PLANTED) and not Entity.objects.filter(name=NEW_ENTITY).exists():
        return
    print(f"building {n:,} parties ...", flush=True)
    forget_clearances()
    Hit.objects.all().delete()
    RescreenChunk.objects.all().delete()
    RescreenJob.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE licensing_party, licensing_historicalparty CASCADE")
        cursor.execute("DELETE FROM licensing_application")
    for entity in Entity.objects.filter(name=NEW_ENTITY):
        entity.version_changes.all().delete()
        entity.aliases.all().delete()
        entity.addresses.all().delete()
        entity.delete()
    from django.contrib.auth import get_user_model

    applicant = get_user_model().objects.filter(username="bench-sales").first() or make_user(
        Role.SALES, username="bench-sales"
    )
    listed = list(Entity.objects.values_list("name", flat=True))
    version = ListVersion.current_number()
    names: list[tuple[str, str]] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.6:
            name = company(rng)
        elif roll < 0.98:
            name = person(rng)
        else:
            name = listed_variant(rng, rng.choice(listed))
        names.append((name, rng.choice(COUNTRIES)))
    names += [(name, "RU") for name in PLANTED]
    from django.utils import timezone

    now = timezone.now()
    apps = Application.objects.bulk_create(
        [
            Application(
                applicant=applicant,
                destination_country=country,
                end_use="bench",
                status="in_review" if i % 2 else "submitted",
                # Spread over the last year, as real open cases are.
                submitted_at=now - timedelta(minutes=rng.randrange(15, 525_600)),
                last_screened_version=version,
            )
            for i, (_, country) in enumerate(names[::2])
        ],
        batch_size=5000,
    )
    parties = [
        Party(application=apps[i // 2], role="end_user" if i % 2 else "purchaser", name=name, country=country)
        for i, (name, country) in enumerate(names)
    ]
    Party.objects.bulk_create(parties, batch_size=5000)
    with connection.cursor() as cursor:
        # What autovacuum would do within a minute of a bulk load: plans need row counts.
        cursor.execute("ANALYZE licensing_application, licensing_party, licensing_licence")
    print(f"  {len(apps):,} open requests, {len(parties):,} parties", flush=True)


class Worker:
    def __init__(self, *, database_url: str, redis_url: str, concurrency: int) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.log = open(ROOT / "var" / "bench-rescreen-worker.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "default,screening",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"bench-{os.getpid()}@localhost",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        from config.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"bench-{os.getpid()}@localhost"], timeout=0.5):
            if time.monotonic() > deadline:
                sys.exit("the worker did not start; see var/bench-rescreen-worker.log")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def wait_done(job_id: int, *, timeout: float = 900) -> Any:
    from compliance.models import RescreenJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = RescreenJob.objects.get(pk=job_id)
        if job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
            if job.status == RescreenJob.Status.FAILED:
                sys.exit(f"job {job_id} failed: {job.error}")
            return job
        time.sleep(0.02)
    sys.exit(f"job {job_id} did not finish in {timeout} s")


def add_entity(name: str, aliases: tuple[str, ...], *, reason: str) -> tuple[int, float]:
    """Add the entity; returns (its delta job, when the list change began)."""
    from compliance.models import RescreenJob
    from entities.services import create_entity
    from lib.users import system_user
    from tests.factories import make_record

    started = time.perf_counter()
    create_entity(actor=system_user(), record=make_record(name, country="RU", aliases=aliases), reason=reason)
    return RescreenJob.objects.order_by("-pk").values_list("pk", flat=True)[0], started


def delist(name: str) -> int:
    from compliance.models import RescreenJob
    from entities.models import Entity
    from entities.services import delist_entity
    from lib.users import system_user

    delist_entity(actor=system_user(), entity=Entity.objects.get(name=name, delisted_on__isnull=True), reason="bench")
    return RescreenJob.objects.order_by("-pk").values_list("pk", flat=True)[0]


def purge_entity(name: str) -> None:
    """Remove the bench's entity entirely so the next run adds it afresh (bench database only)."""
    from entities.models import Entity
    from licensing.models import Hit

    for entity in Entity.objects.filter(name=name):
        Hit.objects.filter(entity=entity).delete()
        entity.version_changes.all().delete()
        entity.delete()


def forget_clearances() -> None:
    from licensing.models import Hit, RememberedClearance

    Hit.objects.exclude(cleared_by=None, lapsed_clearance=None).update(cleared_by=None, lapsed_clearance=None)
    RememberedClearance.objects.all().delete()


def remember_clearances(k: int, rng: random.Random) -> int:
    """K remembered clearances of distinct (party identity, entity) pairs among the hits recorded.

    Written in bulk (the bench measures re-screening with them in place, not k reviewers'
    clicks), with exactly what `licensing.clearances.remember` keeps.
    """
    from datetime import date

    from django.utils import timezone

    from lib.users import system_user
    from licensing import clearances
    from licensing.models import Hit, RememberedClearance

    reviewer = system_user()
    seen: set[tuple[str, int]] = set()
    rows: list[RememberedClearance] = []
    hits = list(Hit.objects.select_related("party", "entity").order_by("pk"))
    rng.shuffle(hits)
    review_by: date = timezone.localdate() + timedelta(days=365)
    for hit in hits:
        key = clearances.party_identity(hit.party)
        if (key, hit.entity_id) in seen:
            continue
        seen.add((key, hit.entity_id))
        rows.append(
            RememberedClearance(
                identity_key=key,
                name_key=clearances.name_key(hit.party.name),
                party_name=hit.party.name,
                party_country=hit.party.country,
                party_address=hit.party.address,
                entity=hit.entity,
                entity_hash=hit.entity.content_hash,
                list_version=hit.list_version,
                entity_record={"name": hit.entity.name},
                score=hit.score,
                matched_name=hit.matched_name,
                explanation=hit.explanation,
                license_policy=hit.license_policy,
                rationale="bench: a different party",
                application_id=hit.party.application_id,
                created_by=reviewer,
                review_by=review_by,
            )
        )
        if len(rows) == k:
            break
    RememberedClearance.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def reset_cases() -> None:
    """Forget every hit and put the bench's requests back in review, so (b) finds each hit anew."""
    from licensing.models import Application, Hit

    Hit.objects.all().delete()
    Application.objects.update(status="in_review", needs_attention=False, attention_reason="")


def raw_delta_baseline(party_names: list[str], threshold: float) -> tuple[float, int]:
    from rapidfuzz import fuzz, process, utils

    start = time.perf_counter()
    scores = process.cdist(
        [NEW_ENTITY, *NEW_ALIASES],
        party_names,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        score_cutoff=threshold * 100,
        workers=-1,
    )
    hits = int((scores.max(axis=0) >= threshold * 100).sum())
    return time.perf_counter() - start, hits


def raw_full_baseline(party_names: list[str], listed_names: list[str], threshold: float) -> tuple[float, int]:
    """All parties x every listed name and alias, in blocks so the score matrix fits in memory."""
    from rapidfuzz import fuzz, process, utils

    start = time.perf_counter()
    listed = [utils.default_process(n) for n in listed_names]
    hits = 0
    for begin in range(0, len(party_names), 2000):
        block = [utils.default_process(n) for n in party_names[begin : begin + 2000]]
        scores = process.cdist(
            block, listed, scorer=fuzz.token_sort_ratio, score_cutoff=threshold * 100, workers=-1, dtype="uint8"
        )
        hits += int((scores.max(axis=1) >= threshold * 100).sum())
    return time.perf_counter() - start, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parties", type=int, default=100_000)
    parser.add_argument("--database", default="clearance_bench_rescreen")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="How many times (a) is measured.")
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--skip-delta", action="store_true", help="Skip (a).")
    parser.add_argument("--clearances", type=int, default=1000, help="Remembered clearances in (c); 0 skips it.")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    rng = random.Random(20220501)
    url = setup_django(args.database, args.redis_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    from compliance.models import RescreenJob
    from compliance.screening import current_threshold
    from entities.models import Entity
    from licensing.models import Party

    ensure_list()
    purge_entity(NEW_ENTITY)
    ensure_parties(args.parties, rng)
    # Jobs of earlier runs (the import's own delta) would only delay the measured ones.
    RescreenJob.objects.exclude(status=RescreenJob.Status.DONE).update(status=RescreenJob.Status.DONE)
    threshold = current_threshold()
    party_names = list(Party.objects.values_list("name", flat=True))
    print(f"{len(party_names):,} parties, {Entity.objects.active().count():,} listed entities, threshold {threshold}")

    forget_clearances()
    worker = Worker(database_url=url, redis_url=args.redis_url, concurrency=args.concurrency)
    try:
        if not args.skip_delta:
            delta(args, party_names, threshold)
        if not args.skip_full:
            full(party_names, threshold)
        if args.clearances:
            with_clearances(args.clearances, rng)
    finally:
        worker.stop()


def full_rescreens(label: str) -> list[float]:
    """A full re-screen from no hits, then again with nothing changed: the seconds of each."""
    from compliance.rescreen import request_full_rescreen
    from lib.users import system_user

    reset_cases()
    times: list[float] = []
    for run in ("first (every hit new)", "again (nothing changed: the nightly case)"):
        start = time.perf_counter()
        job = request_full_rescreen(actor=system_user(), reason=f"bench: {label}, {run}")
        job = wait_done(job.pk, timeout=1800)
        times.append(time.perf_counter() - start)
        print(
            f"  {label}, {run}: {times[-1]:.1f} s, {job.hits_found:,} hits ({job.new_hits:,} new)",
            flush=True,
        )
    return times


def with_clearances(k: int, rng: random.Random) -> None:
    """Without, with, and without again: every run on warm workers, so only the clearances differ.

    Each worker process caches the list index and each name's screening; a first full re-screen
    pays for both, so it warms up uncounted, and the second "without" gives the noise.
    """
    from licensing.models import Hit

    print(f"(c) full re-screens without and with {k:,} remembered clearances")
    full_rescreens("warm-up, not counted")
    without = full_rescreens("without clearances")
    made = remember_clearances(k, rng)
    with_ = full_rescreens(f"with {made:,} clearances")
    cleared = Hit.objects.filter(cleared_by__isnull=False).count()
    forget_clearances()
    again = full_rescreens("without clearances, again")
    print(f"  {cleared:,} hits recorded as cleared by a remembered clearance in the runs with them")
    for i, run in enumerate(("from no hits", "nothing changed")):
        print(
            f"  {run}: without {without[i]:.1f} s and {again[i]:.1f} s, with {made:,} clearances {with_[i]:.1f} s "
            f"({100 * (with_[i] - without[i]) / without[i]:+.1f}% / {100 * (with_[i] - again[i]) / again[i]:+.1f}%)"
        )


def delta(args: argparse.Namespace, party_names: list[str], threshold: float) -> None:
    print("(a) one entity with six aliases added to the list")
    cold: list[float] = []
    warm: list[float] = []
    hits = 0
    # The first runs in each worker process build its party index; the rest reuse it.
    for attempt in range(args.concurrency + args.repeat):
        job_id, committed = add_entity(NEW_ENTITY, NEW_ALIASES, reason=f"bench run {attempt}")
        job = wait_done(job_id)
        elapsed = (job.finished_at.timestamp() - time.time()) + (time.perf_counter() - committed)
        (cold if attempt < args.concurrency else warm).append(elapsed)
        hits = job.hits_found
        print(f"  run {attempt}: {elapsed:.2f} s, {job.hits_found} hits ({job.new_hits} new)", flush=True)
        wait_done(delist(NEW_ENTITY))
        purge_entity(NEW_ENTITY)
    raw_a, raw_hits_a = raw_delta_baseline(party_names, threshold)
    print(
        f"  end to end: first runs (cold index) {', '.join(f'{c:.2f}' for c in cold)} s; "
        f"warm median {statistics.median(warm):.2f} s, max {max(warm):.2f} s; {hits} hits recorded"
    )
    print(f"  raw cdist of the 7 names over {len(party_names):,} parties: {raw_a:.3f} s ({raw_hits_a} >= cutoff)")


def full(party_names: list[str], threshold: float) -> None:
    from compliance.rescreen import request_full_rescreen
    from entities.models import Alias, Entity
    from lib.users import system_user

    print("(b) full re-screen of every open party against the whole list")
    reset_cases()
    distinct = len(set(party_names))
    print(f"  {distinct:,} distinct party names among {len(party_names):,}; no hit recorded yet")
    fulls: list[float] = []
    for label in ("first (every hit new)", "again (nothing changed: the nightly case)"):
        start = time.perf_counter()
        job = request_full_rescreen(actor=system_user(), reason=f"bench: {label}")
        job = wait_done(job.pk, timeout=1800)
        fulls.append(time.perf_counter() - start)
        print(
            f"  {label}: {fulls[-1]:.1f} s end to end, {job.total_chunks} chunks, "
            f"{job.parties_screened:,} parties, {job.hits_found:,} hits ({job.new_hits:,} new)",
            flush=True,
        )
    listed_names = list(Entity.objects.active().values_list("name", flat=True)) + list(
        Alias.objects.filter(entity__delisted_on__isnull=True).values_list("name", flat=True)
    )
    raw_b, raw_hits_b = raw_full_baseline(party_names, listed_names, threshold)
    print(
        f"  raw cdist of {len(party_names):,} parties x {len(listed_names):,} listed names: {raw_b:.1f} s "
        f"({raw_hits_b:,} parties >= cutoff); ratio {fulls[0] / raw_b:.2f}x"
    )


if __name__ == "__main__":
    main()
