"""Licensing's side of re-screening: which parties are screened, and what a finding does to a case.

Compliance runs the jobs and the matching (`compliance.rescreen`); it reaches the cases only
through the `CaseScreening` target registered in `LicensingConfig.ready()`. Everything a
finding does to a case (a hit recorded, the request or licence put on hold, reviewers and the
applicant e-mailed, a hit resolved when the list took it away) is decided here, with
licensing's own services.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from compliance.matcher import Index, Match
from compliance.rescreen import Subject
from compliance.rescreen.stamps import screened_through
from compliance.rescreen.target import Recorded
from entities.models import ListVersion
from lib.db import ids_in
from lib.history import attribute
from licensing import emails, services
from licensing.hits import record_hits, with_entities
from licensing.models import Application, Hit, Party

# What a re-screen reads of a party: enough to screen it and to find its case.
PARTY_FIELDS = ("pk", "application_id", "name", "country", "address", "date_of_birth", "nationalities", "id_numbers")
# Stamps are written in batches of this many cases, so no statement holds many row locks long.
STAMP_BATCH = 2_000


def open_parties() -> QuerySet[Party]:
    return Party.objects.filter(application__in=Application.objects.open())


class CaseScreening:
    """The `compliance.rescreen.ScreeningTarget` of licence requests: their parties are screened."""

    def subject_ids_by_name(self) -> list[int]:
        return list(open_parties().order_by("name", "pk").values_list("pk", flat=True))

    def subjects(self, ids: Collection[int]) -> list[Party]:
        return list(open_parties().filter(ids_in("pk", ids)).only(*PARTY_FIELDS).order_by("pk"))

    def subject_names(self, *, submitted_since: datetime | None) -> Iterable[tuple[int, str, datetime | None]]:
        if submitted_since is None:
            rows = open_parties().values_list("pk", "name", "application__submitted_at").order_by()
            return rows.iterator(chunk_size=5000)
        recent = Application.objects.open().filter(submitted_at__gte=submitted_since).values("pk")
        return (
            Party.objects.filter(application__in=recent)
            .values_list("pk", "name", "application__submitted_at")
            .order_by()
        )

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
        found = with_entities(cast("Sequence[tuple[Party, list[Match]]]", results))
        new = record_hits(found, list_version=list_version, threshold=threshold, actor=actor, reason=reason)
        if new:
            flag_new_hits(new, actor=actor, version=list_version)
        return Recorded(hits=len(found), new_hits=new)

    def announce(self, hit_ids: Sequence[int], *, unit: str) -> None:
        # Written in the transaction closing the job, sent after commit: no e-mail is lost.
        emails.new_hits(hit_ids, unit=unit)

    def resolve_unmatched(
        self, entity_ids: Collection[int], entities: Index, *, threshold: float, list_version: int | None, actor: User
    ) -> int:
        """Open hits on a changed entity that the party no longer matches: resolved, saying why.

        Screening the case afresh would not find them, so they must stop holding the case up; but
        a reviewer still acknowledges each (the status table), and the note keeps the score that
        says why. A reviewer's verdict (cleared, confirmed) is theirs: only hits nobody ruled on move.
        """
        hits = (
            Hit.objects.select_for_update(of=("self",))
            .filter(entity_id__in=entity_ids, status=Hit.Status.OPEN, party__in=open_parties())
            .select_related("party")
            .order_by("pk")
        )
        screenable = {c.key for c in entities.candidates}
        affected: set[int] = set()
        resolved = 0
        for hit in hits:
            party = hit.party
            if hit.entity_id in screenable:
                matches = entities.search(
                    party.name,
                    country=party.country or None,
                    address=party.address or None,
                    threshold=0.0,
                    limit=len(entities),
                )
                score = next((m.score for m in matches if m.key == hit.entity_id), 0.0)
                if score >= threshold:
                    continue
                why = f"no longer matches (score {score:.2f}, threshold {threshold:.2f})"
            else:
                why = "no longer screened (delisted or past its end date)"
            _resolve(
                hit, Hit.Action.UNMATCH, f"Entity changed in list version {list_version}; {why}", list_version, actor
            )
            affected.add(party.application_id)
            resolved += 1
        _flag_open(
            affected,
            f"Entity changed in list version {list_version}: a hit no longer matches, to acknowledge",
            actor=actor,
        )
        return resolved

    def resolve_delisted(self, entity_ids: Collection[int], *, list_version: int | None, actor: User) -> int:
        """Open hits on entities a version removed become "entity delisted", for a reviewer to see."""
        reason = f"Entity delisted in list version {list_version}"
        # Only entities still delisted: a later version may have listed one again before this job
        # ran (a queue backed up, a worker down), and its hits then still stand.
        hits = Hit.objects.select_for_update().filter(
            entity_id__in=entity_ids, entity__delisted_on__isnull=False, status=Hit.Status.OPEN
        )
        affected: set[int] = set()
        resolved = 0
        for hit in hits.select_related("party"):
            _resolve(hit, Hit.Action.DELIST, reason, list_version, actor)
            affected.add(hit.party.application_id)
            resolved += 1
        _flag_open(affected, reason, actor=actor)
        return resolved

    def stamp(self, subjects: Iterable[Subject], *, version: int) -> int:
        """A plain UPDATE, not a history row per case: the stamp is derived data, and the
        RescreenJob that set it is the audit record (who asked, when, against which version)."""
        ids = {cast("Party", s).application_id for s in subjects}
        return (
            Application.objects.filter(ids_in("pk", ids))
            .filter(Q(last_screened_version__isnull=True) | Q(last_screened_version__lt=version))
            .update(last_screened_version=version)
        )

    def advance_stamps(self, *, through: int) -> int:
        behind = Application.objects.open().filter(
            last_screened_version__isnull=False, last_screened_version__lt=through
        )
        ids = list(behind.order_by("pk").values_list("pk", flat=True))
        moved = 0
        for start in range(0, len(ids), STAMP_BATCH):
            moved += Application.objects.filter(
                ids_in("pk", ids[start : start + STAMP_BATCH]), last_screened_version__lt=through
            ).update(last_screened_version=through)
        return moved


def _resolve(hit: Hit, action: str, reason: str, list_version: int | None, actor: User) -> None:
    hit.transition(action)
    hit.list_version = list_version
    hit.resolution = reason
    attribute(hit, actor, reason)
    hit.save(update_fields=["status", "list_version", "resolution", "updated_at"])


def _flag_open(application_ids: Collection[int], reason: str, *, actor: User) -> None:
    """Flag the open ones among these cases: a decided or withdrawn case keeps its record as it was."""
    open_ids = Application.objects.open().filter(pk__in=list(application_ids)).values_list("pk", flat=True)
    if open_ids:
        services.flag_cases(actor=actor, reasons=dict.fromkeys(open_ids, reason), hold=False)


def flag_new_hits(hit_ids: Sequence[int], *, actor: User, version: int | None) -> None:
    """Put each case with a new hit back in front of a reviewer, on hold, saying which hits."""
    hits = Hit.objects.filter(pk__in=hit_ids).select_related("party", "entity").order_by("pk")
    by_case: dict[int, list[Hit]] = {}
    for hit in hits:
        by_case.setdefault(hit.party.application_id, []).append(hit)
    reasons: dict[int, str] = {}
    for application_id, case_hits in by_case.items():
        names = "; ".join(f"{h.party.name} ~ {h.entity.name} ({h.score:.2f}){_lapsed(h)}" for h in case_hits[:3])
        more = f" and {len(case_hits) - 3} more" if len(case_hits) > 3 else ""
        reasons[application_id] = f"New screening hit on list version {version}: {names}{more}"
    services.flag_cases(actor=actor, reasons=reasons, hold=True)


def _lapsed(hit: Hit) -> str:
    """A hit a remembered clearance cleared until now says so on the case's attention line."""
    if hit.lapsed_clearance_id is None:
        return ""
    return f", remembered clearance #{hit.lapsed_clearance_id} no longer applies"


def screened_against(application: Application) -> dict[str, Any]:
    """What a case page shows: the version a case was last screened against, and the current one.

    An open case has been screened through every version whose delta job is done, whether or
    not the sweeper has written that into its stamp yet.
    """
    current = ListVersion.current_number()
    last = application.last_screened_version
    if last is not None and last >= current:
        # Screened against the current version already (the usual case): nothing to work out.
        return {"last_screened_version": last, "current_version": current, "out_of_date": False}
    is_open = last is not None and application.is_open
    if is_open and last is not None:
        last = max(last, screened_through())
    return {
        "last_screened_version": last,
        "current_version": current,
        "out_of_date": is_open and (last is None or last < current),
    }
