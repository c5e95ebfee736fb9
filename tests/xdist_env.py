"""Gives every pytest-xdist worker a Redis database of its own (loaded with ``-p tests.xdist_env``).

pytest-django already gives each worker its own PostgreSQL database (``test_<name>_gw0``...). The
Redis URL, though, is read by the settings module when Django starts, which happens before any
conftest is imported: a plugin named on the command line is imported earlier still, so this
module is where the worker's Redis db can be chosen. Without it two workers would share one
broker (a real-worker test would run another worker's tasks) and one cache.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_url = os.environ.get("REDIS_URL", "")
if _worker.startswith("gw") and _url:
    parts = urlsplit(_url)
    base = int(parts.path.lstrip("/") or 0)
    # Redis has 16 databases (0-15) by default; workers take the ones after the configured db.
    db = (base + 1 + int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{db}"))
