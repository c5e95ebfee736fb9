"""Load test: 50 concurrent users against a real gunicorn + PostgreSQL deployment of Clearance.

    .venv/bin/python bench/load.py [--users 50] [--duration 60] [--list csl|demo] [--requests 300]

What it does, start to finish:
1. (Re)creates the database `clearance_bench` on the PostgreSQL server of DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432), migrates it, loads the demo users and list, then the
   full 2022 Consolidated Screening List from ../shared/data when present (`--list csl`, 14,160
   records), and files `--requests` licence requests through the services (a third of them
   naming a listed party, some decided) so the queue and case pages have realistic content.
2. Starts gunicorn on 127.0.0.1 with production settings (DEBUG off), as README "Production"
   describes: one pool for pages and the API, and a small pool of its own for the screening API
   (`--screening-pool 0` puts everything in one pool), and warms every worker.
3. Runs locust headless (this same file is the locustfile) with a mix of people:
   reviewers reading the queue, case pages and their dashboard; Sales filing and submitting
   requests through the API and reading their list; integrations calling the screening API.
4. Prints p50 / p95 per request type and the error count, against the targets of issue 6:
   p95 < 300 ms for pages, < 100 ms for the screening API, zero errors. Exit status 1 if missed.

`--scenario export-check` runs order systems only (issue 13): `--users` Integration clients
calling POST /api/v1/export-checks/ with a licence number (three in four) or without one, against
the same list; target p95 < 50 ms, zero errors.

The locust process imports only the user classes below; Django is set up in the driver only.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "var" / "bench"
CSL = ROOT.parent / "shared" / "data" / "csl" / "consolidated-2022-05.csv"
PASSWORD = "bench-password-1"
SALES_USERS = [f"bench-sales-{i}" for i in range(12)]
REVIEWERS = [f"bench-reviewer-{i}" for i in range(6)]
API_USER = "bench-integration"

# Names an integration screens: listed names written other ways, and ordinary companies.
SCREEN_NAMES = [
    "Huawei Technologies Co Ltd",
    "HUAWEI TECH CO LTD",
    "Hisilicon Technologies",
    "Rostec",
    "Alfa Trading FZE",
    "Siemens AG",
    "Acme Widgets Ltd",
    "Northern Aviation Plant",
    "China Electronics Technology Group",
    "Mahan Air",
    "Shenzhen Global Logistics",
    "Toyota Tsusho",
]

# --- The locustfile part ---------------------------------------------------------------------------

try:
    # geventhttpclient-based: a fraction of python-requests' CPU, which matters when the load
    # generator shares the 2 cores with the server it measures.
    from locust import FastHttpUser as HttpUser
    from locust import between, task
except ImportError:  # the driver half runs without locust imported
    HttpUser = object  # type: ignore[assignment,misc]

    def task(weight: Any = 1) -> Any:  # type: ignore[no-redef]
        return weight if callable(weight) else (lambda f: f)

    def between(min_wait: float, max_wait: float) -> Any:  # type: ignore[misc]
        return None


def _case_ids() -> list[int]:
    ids = os.environ.get("BENCH_CASE_IDS", "")
    return [int(i) for i in ids.split(",") if i]


def _session(username: str) -> dict[str, str]:
    """Headers carrying a session the driver signed in: people log in once a day, not per page.

    (A log-in costs a deliberately slow password hash; 50 at once would measure that, not the app.)
    """
    key = os.environ["BENCH_SESSION_" + username.replace("-", "_")]
    return {"Cookie": f"sessionid={key}"}


class Reviewer(HttpUser):  # type: ignore[misc,valid-type]
    """Works the queue: lists, opens cases, glances at the dashboard."""

    weight = 2
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.headers = _session(random.choice(REVIEWERS))
        self.cases = _case_ids()

    @task(3)
    def queue(self) -> None:
        self.client.get("/licensing/queue/", headers=self.headers, name="page: review queue")

    @task(4)
    def case(self) -> None:
        self.client.get(f"/licensing/{random.choice(self.cases)}/", headers=self.headers, name="page: case")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", headers=self.headers, name="page: dashboard")


class Salesperson(HttpUser):  # type: ignore[misc,valid-type]
    """Files and submits requests (API, as an integration of the CRM would) and reads their list."""

    weight = 2
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        username = random.choice(SALES_USERS)
        self.session = _session(username)
        self.token = os.environ.get(f"BENCH_TOKEN_{username.replace('-', '_')}", "")

    @task(3)
    def my_requests(self) -> None:
        self.client.get("/licensing/", headers=self.session, name="page: my requests")

    @task(1)
    def file_and_submit(self) -> None:
        headers = {"Authorization": f"Token {self.token}"}
        end_user = random.choice(["Huawei Technologies Co Ltd", "Shenzhen Widget Trading", "Mueller Maschinen GmbH"])
        body = {
            "type": "export",
            "destination_country": "CN",
            "end_use": "Consumer routers",
            "parties": [{"role": "end_user", "name": end_user, "country": "CN", "address": "1 Road"}],
            "items": [{"eccn": "EAR99", "description": "Plastic housings", "quantity": "10", "unit_price": "2.50"}],
        }
        created = self.client.post("/api/v1/applications/", json=body, headers=headers, name="api: file request")
        if created.status_code == 201:
            pk = created.json()["id"]
            self.client.post(f"/api/v1/applications/{pk}/submit/", headers=headers, name="api: submit request")


class Integration(HttpUser):  # type: ignore[misc,valid-type]
    """A system screening names through the API."""

    weight = 1
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {os.environ.get('BENCH_TOKEN_API', '')}"}

    @task
    def screen(self) -> None:
        name = random.choice(SCREEN_NAMES)
        # With --screening-pool the proxy's job is done here: the screening API has its own processes.
        base = os.environ.get("BENCH_SCREEN_HOST", "")
        self.client.get(f"{base}/api/v1/screen/?name={name}&limit=5", headers=self.headers, name="api: screen a name")


class OrderSystem(HttpUser):  # type: ignore[misc,valid-type]
    """An order or shipping system asking the export check before each order leaves."""

    weight = 1
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Token {os.environ.get('BENCH_TOKEN_ORDERS', '')}"}
        self.licence = os.environ.get("BENCH_LICENCE", "")

    @task
    def check(self) -> None:
        licensed = random.random() < 0.75
        body = {
            "licence_number": self.licence if licensed else None,
            "consignee": {"name": "Mueller Maschinen GmbH", "country": "DE", "address": "1 Hafenstrasse, Hamburg"},
            "end_user": {"name": random.choice(SCREEN_NAMES), "country": "CN"},
            "items": [{"eccn": "EAR99", "quantity": "5", "value": "10"}],
        }
        name = "api: export check (licence)" if licensed else "api: export check (none)"
        self.client.post("/api/v1/export-checks/", json=body, headers=self.headers, name=name)


SCENARIOS = {"mix": ["Reviewer", "Salesperson", "Integration"], "export-check": ["OrderSystem"]}


# --- The driver part -------------------------------------------------------------------------------


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "AXES_FAILURE_LIMIT": "1000",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def _recreate_database(base_url: str, name: str) -> str:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(base_url)
    with psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = cfg["USER"] or "postgres"
    password = f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else ""
    return f"postgres://{user}{password}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{name}"


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def _seed(env: dict[str, str], requests: int) -> dict[str, str]:
    """Users, tokens and requests, made through the services; returns env for the locust process."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from lib.roles import Role
    from licensing import services
    from licensing.models import Application, Hit, Party

    def user(username: str, role: Role) -> User:
        u = User.objects.create_user(username=username, password=PASSWORD)
        u.groups.add(Group.objects.get(name=role.value))
        return u

    sales = [user(name, Role.SALES) for name in SALES_USERS]
    reviewers = [user(name, Role.REVIEWER) for name in REVIEWERS]
    api = user(API_USER, Role.REVIEWER)
    out = {"BENCH_TOKEN_API": Token.objects.create(user=api).key}
    for u in sales:
        out[f"BENCH_TOKEN_{u.username.replace('-', '_')}"] = Token.objects.create(user=u).key

    from django.test import Client

    for u in [*sales, *reviewers]:
        client = Client()
        client.force_login(u)
        out[f"BENCH_SESSION_{u.username.replace('-', '_')}"] = client.cookies["sessionid"].value

    rng = random.Random(6)
    ids: list[int] = []
    for i in range(requests):
        applicant = sales[i % len(sales)]
        end_user = "Huawei Technologies Co Ltd" if i % 3 == 0 else f"Trading House {i} Ltd"
        data = services.ApplicationData(
            type=Application.Type.EXPORT,
            destination_country="CN",
            end_use="Consumer routers",
            parties=(services.PartyData(role=Party.Role.END_USER, name=end_user, country="CN", address="1 Road"),),
            items=(
                services.ItemData(eccn="EAR99", description="Housings", quantity=Decimal(10), unit_price=Decimal(2)),
            ),
        )
        application = services.submit(
            actor=applicant, application=services.create_application(actor=applicant, data=data)
        )
        ids.append(application.pk)
        if i % 4 == 3:
            reviewer = rng.choice(reviewers)
            application = services.assign(actor=reviewer, application=application)
            for hit in Hit.objects.filter(party__application=application):
                services.clear_hit(actor=reviewer, hit=hit, rationale="Different company.")
            made = services.decide(actor=reviewer, application=application, outcome="approved", rationale="Fine.")
            if not isinstance(made, services.Decision):
                other = next(r for r in reviewers if r != reviewer)
                services.countersign(actor=other, application=application, agree=True)
    out["BENCH_CASE_IDS"] = ",".join(str(i) for i in ids)

    # The export check's caller, and a licence with room for every order of the run.
    from licensing.models import Licence

    orders = user("bench-order-system", Role.INTEGRATION)
    out["BENCH_TOKEN_ORDERS"] = Token.objects.create(user=orders).key
    data = services.ApplicationData(
        type=Application.Type.EXPORT,
        destination_country="DE",
        end_use="Machine tools for a car plant",
        parties=(
            services.PartyData(role=Party.Role.ULTIMATE_CONSIGNEE, name="Mueller Maschinen GmbH", country="DE"),
            services.PartyData(role=Party.Role.END_USER, name="Mueller Maschinen GmbH", country="DE"),
        ),
        items=(
            services.ItemData(eccn="EAR99", description="Housings", quantity=Decimal(10**8), unit_price=Decimal(2)),
        ),
    )
    application = services.submit(actor=sales[0], application=services.create_application(actor=sales[0], data=data))
    application = services.assign(actor=reviewers[0], application=application)
    made = services.decide(actor=reviewers[0], application=application, outcome="approved", rationale="Fine.")
    if not isinstance(made, services.Decision):
        # Over the sign-off value threshold: a second reviewer countersigns before the licence issues.
        services.countersign(actor=reviewers[1], application=application, agree=True)
    out["BENCH_LICENCE"] = str(Licence.objects.get(application=application).number)
    return out


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def _warm(host: str, token: str) -> None:
    """Every gunicorn worker builds its screening index on first use: do that before measuring."""

    def one(_: int) -> None:
        request = urllib.request.Request(  # noqa: S310
            f"{host}/api/v1/screen/?name=Huawei&limit=1", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=120):  # noqa: S310
            pass

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(64)))


def _report(stats_csv: Path) -> int:
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n{'request type':<28} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}  target")
    failed = False
    total_errors = 0
    for row in rows:
        name = row["Name"]
        if name == "Aggregated":
            continue
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95 = float(row["50%"]), float(row["95%"])
        total_errors += errors
        target = (
            50
            if name.startswith("api: export check")
            else 100
            if name.startswith("api: screen")
            else 300
            if name.startswith("page:")
            else None
        )
        verdict = "" if target is None else (f"< {target} ok" if p95 < target else f"< {target} MISSED")
        failed |= target is not None and p95 >= target
        print(f"{name:<28} {count:>7} {errors:>7} {p50:>8.0f} {p95:>8.0f}  {verdict}")
    print(f"\nerrors: {total_errors}")
    return 1 if failed or total_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--list", choices=["csl", "demo"], default="csl")
    parser.add_argument("--requests", type=int, default=300, help="licence requests seeded before the run")
    # Sync workers, as README "Production" runs them: with gthread, several requests share one
    # interpreter lock per process and each waits on the others' Python (measured: p95 580-840 ms
    # against 260-370 ms for three sync processes on the same 2 cores, same hour).
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (gthread only)")
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="sync")
    parser.add_argument(
        "--screening-pool",
        type=int,
        default=1,
        help="also start this many gthread workers on port+1 for /api/v1/screen/ alone (0: one pool for everything)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="clearance_bench")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="mix")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        raise SystemExit("bench/load.py needs PostgreSQL: set DATABASE_URL to a PostgreSQL server.")
    OUT.mkdir(parents=True, exist_ok=True)
    database_url = _recreate_database(base, args.database)
    env = _server_env(database_url)
    started = time.monotonic()
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "seed_demo")
    if args.list == "csl":
        if CSL.exists():
            _manage(env, "import_list", str(CSL), "--user", "admin")
        else:
            print(f"{CSL} not found: screening against the demo list only.")
    locust_env = _seed(env, args.requests)
    print(f"Seeded in {time.monotonic() - started:.0f} s: {args.requests} requests.")

    host = f"http://127.0.0.1:{args.port}"
    log = (OUT / "gunicorn.log").open("w")

    def gunicorn(port: int, workers: int, worker_class: str, threads: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--threads",
                str(threads if worker_class == "gthread" else 1),
                "--timeout",
                "120",
                # Longer than any user's pause, so an idle keep-alive connection is not closed
                # by the server just as the client reuses it (a reset the user would never see).
                "--keep-alive",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    servers = [gunicorn(args.port, args.workers, args.worker_class, args.threads)]
    if args.screening_pool:
        servers.append(gunicorn(args.port + 1, args.screening_pool, "gthread", 2))
        locust_env["BENCH_SCREEN_HOST"] = f"http://127.0.0.1:{args.port + 1}"
    try:
        _wait_for(f"{host}/login/")
        _warm(host, locust_env["BENCH_TOKEN_API"])
        if args.screening_pool:
            _wait_for(f"{locust_env['BENCH_SCREEN_HOST']}/login/")
            _warm(locust_env["BENCH_SCREEN_HOST"], locust_env["BENCH_TOKEN_API"])
        prefix = OUT / "load"
        subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(Path(__file__).resolve()),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.duration}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                *SCENARIOS[args.scenario],
            ],
            cwd=ROOT,
            env={**os.environ, **locust_env},
            check=False,
        )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()
    shape = f"{args.workers} {args.worker_class} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    if args.screening_pool:
        shape += f"; screening API on its own {args.screening_pool} workers x 2 threads"
    print(f"\n{args.users} users for {args.duration} s against gunicorn ({shape}) on {host}")
    print(f"list: {args.list}; CPU cores: {os.cpu_count()}; full stats in {prefix}_stats.csv")
    return _report(Path(f"{prefix}_stats.csv"))


if __name__ == "__main__":
    if shutil.which(str(VENV_BIN / "locust")) is None:
        raise SystemExit("bench/load.py needs locust: .venv/bin/pip install locust")
    sys.exit(main())
