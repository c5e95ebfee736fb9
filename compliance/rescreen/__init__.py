"""Re-screening: every open case is checked again whenever the list, threshold or matcher changes.

The promise is that no open case misses a newly listed party, even when Redis or a worker dies
at the wrong moment. So the work is an outbox:

- the `RescreenJob` row is written in the list change's own transaction (a rolled-back change
  leaves no job) and handed to Celery only after commit (`jobs`);
- the sweeper (Celery beat) hands over again any job that never started or stopped beating,
  so a change made while Redis was down is re-screened once it is back;
- a job is cut into `RescreenChunk`s fixed when it is planned; a chunk records its hits and
  flips `done` in one transaction, with its row locked, so a chunk delivered twice (late ack
  after a killed worker, a retry, two workers) records each hit once (`chunks`);
- a chunk that keeps failing stops after RESCREEN_CHUNK_MAX_ATTEMPTS: its job is marked failed
  with the error, Compliance admins are e-mailed, and an admin may retry it. No job fails quietly.

A delta job screens only what one list version added or changed against the subjects of open
cases, found through a per-process index of their names (`party_index`), so its cost follows the
size of the change, not of the list. A full job screens every open subject against the whole
list. "Screened against version N" stamps are kept by `stamps`.

What is screened and what a finding does to a case is not this package's business: the app that
owns the cases registers a `ScreeningTarget` (`target`), and re-screening calls down through it.
"""

from compliance.rescreen.jobs import (
    enqueue,
    progress,
    progress_item,
    record_version_job,
    request_full_rescreen,
    retry_job,
    start_job,
    sweep,
)
from compliance.rescreen.party_index import reset_party_index
from compliance.rescreen.stamps import screened_through
from compliance.rescreen.target import ScreeningTarget, Subject, register_target

__all__ = [
    "ScreeningTarget",
    "Subject",
    "enqueue",
    "progress",
    "progress_item",
    "record_version_job",
    "register_target",
    "request_full_rescreen",
    "reset_party_index",
    "retry_job",
    "screened_through",
    "start_job",
    "sweep",
]
