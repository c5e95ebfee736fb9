"""Which list version open cases have been screened against.

A delta job screens every open case, so once the delta jobs of versions K+1..M are done, a case
screened through K is screened through M. Pages work that out on read (`screened_through`); the
sweeper writes it into the cases' stored stamps in short batches (`advance`), which exports and
closed cases show. Rewriting every open case inside every job would make a one-entity change
cost as much as the number of open cases, and hold their row locks while the next job waits.
"""

from __future__ import annotations

from compliance.models import RescreenJob
from compliance.rescreen.target import screening_target
from entities.models import ListVersion


def screened_through() -> int:
    """The list version every case open now has been screened up to.

    Delta jobs can finish out of order: the version stops at the first one still waiting.
    """
    waiting = (
        RescreenJob.objects.filter(kind=RescreenJob.Kind.DELTA)
        .exclude(status=RescreenJob.Status.DONE)
        .order_by("list_version")
        .values_list("list_version", flat=True)
        .first()
    )
    return (waiting - 1) if waiting is not None else ListVersion.current_number()


def advance() -> int:
    """Write `screened_through()` into the stamp of each open case behind it; run by the sweeper."""
    return screening_target().advance_stamps(through=screened_through())
