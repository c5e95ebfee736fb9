"""What re-screening screens, and what a finding does to a case: provided by the app owning cases.

Compliance knows how to screen names and when to screen them again; it does not know what a
licence request is. The app that owns the screened parties (licensing) implements
`ScreeningTarget` and registers it in its `AppConfig.ready()`, so re-screening calls down through
this interface and never imports that app. Every method runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.contrib.auth.models import User

from compliance.matcher import Index, Match, Person


class Subject(Protocol):
    """One screened name of an open case (a licence-request party): what the matcher needs."""

    @property
    def pk(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def country(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def person(self) -> Person | None:
        """Birth date, nationalities and documents, for a subject that is a person."""
        ...


@dataclass
class Recorded:
    """What recording a batch of matches did: how many hits, and which are new for a reviewer."""

    hits: int = 0
    new_hits: list[int] = field(default_factory=list)


class ScreeningTarget(Protocol):
    def subject_ids_by_name(self) -> list[int]:
        """Every subject of an open case, in name order (a full re-screen cuts its chunks from it)."""
        ...

    def subjects(self, ids: Collection[int]) -> Sequence[Subject]:
        """Those of `ids` still on an open case, in id order."""
        ...

    def subject_names(self, *, submitted_since: datetime | None) -> Iterable[tuple[int, str, datetime | None]]:
        """(id, name, submitted at) of open subjects, all or only those submitted since a time."""
        ...

    def record(
        self,
        results: Sequence[tuple[Subject, list[Match]]],
        *,
        list_version: int | None,
        threshold: float,
        actor: User,
        reason: str,
        unit: str,
    ) -> Recorded:
        """Record every match as a hit and act on the new ones (flag the case).

        `unit` names the unit of work (a chunk). Returns the hits that are new for a reviewer;
        the job announces them all at once when it is done (`announce`).
        """
        ...

    def announce(self, hit_ids: Sequence[int], *, unit: str) -> None:
        """Tell people about the new hits of a whole job: one e-mail per person, once per `unit`."""
        ...

    def resolve_unmatched(
        self, entity_ids: Collection[int], entities: Index, *, threshold: float, list_version: int | None, actor: User
    ) -> int:
        """Resolve open hits on changed entities that their subject no longer matches; how many."""
        ...

    def resolve_delisted(self, entity_ids: Collection[int], *, list_version: int | None, actor: User) -> int:
        """Resolve open hits on entities a list version removed; how many."""
        ...

    def stamp(self, subjects: Iterable[Subject], *, version: int) -> int:
        """Record that the cases of these subjects were screened against the whole list at `version`."""
        ...

    def advance_stamps(self, *, through: int) -> int:
        """Move the stamp of every open case screened before `through` up to it; how many moved."""
        ...


_target: ScreeningTarget | None = None


def register_target(target: ScreeningTarget) -> None:
    """Called once, from the owning app's `ready()`."""
    global _target
    _target = target


def screening_target() -> ScreeningTarget:
    if _target is None:
        raise RuntimeError("No screening target registered: is the licensing app installed?")
    return _target
