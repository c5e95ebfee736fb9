from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.compliance.worker import Worker

WORKER_LOGS = Path(__file__).resolve().parents[2] / "test-artifacts" / "workers"


@pytest.fixture
def redis_queue() -> Iterator[Any]:
    """The test Redis db, flushed before and after: only this test's messages are in it."""
    import redis

    if not settings.REDIS_URL:
        pytest.skip(reason="real-worker tests need REDIS_URL (a Redis db of their own)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def no_eager_tasks(settings: Any) -> Iterator[None]:
    """Undo the suite's eager mode: tasks go through Redis to the worker subprocess."""
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def start_worker(transactional_db: None, redis_queue: Any, no_eager_tasks: None) -> Iterator[Callable[..., Worker]]:
    """Start real `celery worker` subprocesses; every one started is stopped at teardown."""
    from django.contrib.auth.models import Group

    from lib.roles import Role

    # Transactional tests flush the database between tests, role groups included.
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    WORKER_LOGS.mkdir(parents=True, exist_ok=True)
    started: list[Worker] = []

    def start(**extra_env: str) -> Worker:
        # A CLEARANCE_FAULT_* variable loads tests/compliance/faults.py into the worker.
        faults = any(name.startswith("CLEARANCE_FAULT_") for name in extra_env)
        worker = Worker(redis_url=settings.REDIS_URL, log_dir=WORKER_LOGS, extra_env=extra_env, faults=faults).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
