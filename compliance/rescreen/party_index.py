"""The index of open cases' subject names, kept per worker process, that delta re-screens search.

Screening a handful of new entities against 100,000 parties must not analyse 100,000 names per
job, so each worker keeps this index and only adds the subjects submitted since it was built
(subjects of submitted requests never change; one whose case closed is filtered out when the
target looks it up). It only proposes candidates: every proposal is scored again the way a full
screen would score it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from compliance.matcher import Candidate, Index
from compliance.rescreen.target import screening_target

# `submitted_at` is set inside the submit transaction, which may commit after the index was
# built with a later watermark: each refresh looks back this much further than the watermark.
SUBMIT_MARGIN = timedelta(minutes=10)


class PartyIndex:
    """Distinct names of open-case subjects, searchable by a listed entity's names."""

    # A query may share words with thousands of party names; score far more than for the list.
    SHORTLIST = 1000
    # Country and address can add this much to a name score, and the two directions of
    # comparison differ slightly: proposals start this far below the threshold.
    SLACK = 0.15
    REBUILD_AFTER = 20_000

    def __init__(self) -> None:
        self.index = Index()
        self.parties: list[list[int]] = []
        self.watermark: datetime | None = None
        self.party_ids: set[int] = set()
        self.tail: list[tuple[int, str, datetime | None]] = []

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str, datetime | None]]) -> PartyIndex:
        party_index = cls()
        by_name: dict[str, list[int]] = {}
        watermark: datetime | None = None
        for pk, name, submitted_at in rows:
            by_name.setdefault(name, []).append(pk)
            if submitted_at is not None and (watermark is None or submitted_at > watermark):
                watermark = submitted_at
        party_index.parties = list(by_name.values())
        party_index.index = Index.build(Candidate(key=i, name=name) for i, name in enumerate(by_name))
        party_index.index.SHORTLIST = cls.SHORTLIST
        # Each delta brings new entity names: remembering them would only hold memory.
        party_index.index.HIT_CACHE_SIZE = 0
        party_index.watermark = watermark
        party_index.party_ids = {pk for ids in party_index.parties for pk in ids}
        return party_index

    def propose(self, names: Iterable[str], *, threshold: float) -> set[int]:
        """Ids of subjects whose name may match one of `names` (a superset of the real hits)."""
        found: set[int] = set()
        floor = max(0.0, threshold - self.SLACK)
        tail = PartyIndex.build(self.tail) if self.tail else None
        for name in dict.fromkeys(names):
            for part in (self, tail):
                if part is None:
                    continue
                for match in part.index.search(name, threshold=floor, limit=self.SHORTLIST):
                    found.update(part.parties[match.key])
        return found


_party_index: PartyIndex | None = None


def party_index() -> PartyIndex:
    """This process's party index, brought up to date with the subjects submitted since."""
    global _party_index
    target = screening_target()
    current = _party_index
    if current is None or current.watermark is None:
        current = _party_index = PartyIndex.build(target.subject_names(submitted_since=None))
        return current
    # The recent subjects are found first (an index on `submitted_at`), so this costs what was
    # submitted since, not what is open.
    current.tail = [
        row
        for row in target.subject_names(submitted_since=current.watermark - SUBMIT_MARGIN)
        if row[0] not in current.party_ids
    ]
    if len(current.tail) > PartyIndex.REBUILD_AFTER:
        current = _party_index = PartyIndex.build(target.subject_names(submitted_since=None))
    return current


def reset_party_index() -> None:
    global _party_index
    _party_index = None
