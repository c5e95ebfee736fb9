"""The embedded database, as `make run` serves it: an SQLite file, no Redis, tasks in-process.

The rest of the suite runs on PostgreSQL; the defects of issues 18 and 19 marked "embedded" only
showed on SQLite (one writer at a time, locks instead of row locks). This harness starts the app
the way `make run` does, in a subprocess on a free port: `migrate`, `seed_demo`, then `runserver`,
with DATABASE_URL pointing at an SQLite file in a temporary folder and no REDIS_URL, and the tests
drive it over HTTP (requests) and in Chromium (Playwright).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

# Chromium for the journeys (tests/browser/conftest.py launches Debian's, or skips with a reason).

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-password"  # seed_demo's documented demo credential


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/embedded/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.embedded)


@dataclass
class EmbeddedServer:
    url: str
    database: Path
    log: Path

    def session(self, username: str) -> requests.Session:
        """A signed-in browser-like session (cookies and CSRF), through the real log-in form."""
        session = requests.Session()
        session.get(f"{self.url}/login/", timeout=30)
        response = session.post(
            f"{self.url}/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": f"{self.url}/login/"},
            timeout=30,
        )
        assert response.ok and "/dashboard/" in response.url, f"log-in as {username} failed"
        return session

    def api(self, username: str) -> requests.Session:
        """A session that calls the API with the user's token."""
        response = requests.post(
            f"{self.url}/api/v1/auth/token/", json={"username": username, "password": DEMO_PASSWORD}, timeout=30
        )
        response.raise_for_status()
        session = requests.Session()
        session.headers["Authorization"] = f"Token {response.json()['token']}"
        return session

    def errors_logged(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}}
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'clearance.sqlite3'}",
        MEDIA_ROOT=str(folder / "media"),
        DJANGO_SETTINGS_MODULE="config.settings",
        # Like `make run`: DEBUG on (runserver serves the static files), eager tasks (no REDIS_URL).
        DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    folder = tmp_path_factory.mktemp("embedded")
    env = _environment(folder)
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=600)
    port = _free_port()
    log = folder / "runserver.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/login/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield EmbeddedServer(url=url, database=folder / "clearance.sqlite3", log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def draft_body(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "export",
        "destination_country": "CA",
        "end_use": "Calibration of lab instruments.",
        "parties": [{"role": "end_user", "name": "Maple Leaf Instruments Ltd", "address": "Ottawa", "country": "CA"}],
        "items": [{"eccn": "EAR99", "description": "Multimeters", "quantity": "5", "unit_price": "120.00"}],
        **overrides,
    }
