"""A real Celery worker for tests: a subprocess on the test database and the test Redis db.

Re-screening's promises (nothing lost when a worker is killed, nothing sent before commit) are
about the broker and the worker process, so these tests run them for real rather than eagerly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CELERY = REPO_ROOT / ".venv" / "bin" / "celery"
# Seconds before Redis hands an unacknowledged message to another worker: small for tests.
VISIBILITY_TIMEOUT = 4


def test_database_url() -> str:
    """The URL of the database pytest-django created, for the worker to connect to."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """One `celery worker` process group; `kill()` is SIGKILL to all of it, as an OOM killer would."""

    def __init__(
        self, *, redis_url: str, log_dir: Path, extra_env: dict[str, str] | None = None, faults: bool = False
    ) -> None:
        self.name = f"rescreen-test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_dir / f"{self.name.split('@')[0]}.log"
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            # Small, so a message held by a killed worker comes back within the test.
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        env.update(extra_env or {})
        self.env = env
        # tests/compliance/faults.py, whose variables (in extra_env) slow or break chunks.
        self.include = ["-I", "tests.compliance.faults"] if faults else []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30.0) -> Worker:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "-Q",
                "default,screening",
                "--pool=prefork",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "-n",
                self.name,
                "-l",
                "INFO",
                *self.include,
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self.wait_ready(timeout=timeout)
        except BaseException:
            # A worker that never answered must not outlive the test and eat later tests' messages.
            self.stop()
            raise
        return self

    def wait_ready(self, *, timeout: float) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited early; see {self.log_path}:\n{self.log()}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise RuntimeError(f"worker did not answer ping in {timeout}s; see {self.log_path}:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool child die mid-task."""
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.process = None


def wait_for(predicate: Any, *, timeout: float = 60.0, every: float = 0.1, message: str = "condition") -> Any:
    """Poll until `predicate()` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(every)


def _reset_producer_pools() -> None:
    from config.celery import app

    # Not closed: kombu keeps one pool per broker URL process-wide and would hand back a closed one.
    app._pool = None  # type: ignore[attr-defined]
    app.amqp._producer_pool = None  # type: ignore[attr-defined]


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Point this process's Celery app at a closed port, as if Redis were down, then restore it."""
    from config.celery import app

    saved_url, saved_options = app.conf.broker_url, app.conf.broker_transport_options
    # Left to its defaults kombu retries the refused connection for about 6 s per enqueue before
    # raising; with no retries it raises the same OperationalError at once.
    app.conf.update(broker_url="redis://127.0.0.1:9/0", broker_transport_options={**saved_options, "max_retries": 0})
    _reset_producer_pools()
    try:
        yield
    finally:
        app.conf.update(broker_url=saved_url, broker_transport_options=saved_options)
        _reset_producer_pools()
