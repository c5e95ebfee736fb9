"""Build a process's screening indexes before it takes work.

A fresh worker used to build the list index and the open parties' index inside its first job,
so the first delta re-screen after a restart or deploy took seconds instead of a fraction of one
(issue 15). Each worker process now builds both as it starts (`config.celery`); the version check
in `get_index` keeps them current afterwards.
"""

from __future__ import annotations

import logging

from compliance.index import get_index
from compliance.rescreen.party_index import party_index

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Build this process's list index and party index now. A failure is logged, not raised:
    the process still works, and builds the index on first use as before."""
    try:
        index = get_index()
        parties = party_index()
    except Exception:
        logger.exception("Could not build the screening indexes at start; they will be built on first use")
        return
    logger.info(
        "Screening indexes ready: %d entities (list version %s), %d open party names",
        len(index),
        index.version,
        len(parties.parties),
    )
