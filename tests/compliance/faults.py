"""Faults injected into a test's real Celery worker (imported by it with `celery worker -I`).

Production code knows nothing of tests: a test that needs a slow or failing chunk starts its
worker with this module and one of these variables, and the worker's process does the rest.

- CLEARANCE_FAULT_CHUNK_DELAY=<seconds>: every re-screen chunk waits that long before it runs,
  giving a test time to kill the worker in the middle of a job.
- CLEARANCE_FAULT_CHUNK_RAISES=1: every re-screen chunk raises, as a bug or bad data would.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery.signals import task_prerun

from compliance.rescreen import chunks

CHUNK_TASK = "compliance.tasks.run_rescreen_chunk"
DELAY = float(os.environ.get("CLEARANCE_FAULT_CHUNK_DELAY") or 0)
RAISES = os.environ.get("CLEARANCE_FAULT_CHUNK_RAISES") == "1"


class InjectedFault(RuntimeError):
    pass


@task_prerun.connect
def _slow_chunks(sender: Any = None, **kwargs: Any) -> None:
    if DELAY and getattr(sender, "name", "") == CHUNK_TASK:
        time.sleep(DELAY)


if RAISES:

    def _raise(chunk_id: int) -> chunks.ChunkOutcome:
        raise InjectedFault(f"injected fault in chunk {chunk_id}")

    chunks._run = _raise  # type: ignore[assignment]
