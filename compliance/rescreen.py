"""Re-screening: every open case is checked again whenever the list, threshold or matcher changes.

The promise is that no open case misses a newly listed party, even when Redis or a worker dies
at the wrong moment. So the work is an outbox:

- the `RescreenJob` row is written in the list change's own transaction (a rolled-back change
  leaves no job) and handed to Celery only after commit;
- the sweeper (Celery beat) hands over again any job that never started or stopped beating,
  so a change made while Redis was down is re-screened once it is back;
- a job is cut into `RescreenChunk`s fixed when it is planned; a chunk records its hits and
  flips `done` in one transaction, with its row locked, so a chunk delivered twice (late ack
  after a killed worker, a retry, two workers) records each hit once.

A delta job screens only what one list version added or changed against the parties of open
cases, so its cost follows the size of the change, not of the list; removed entities resolve
their open hits as delisted, and changed entities resolve the open hits they no longer match
(both wait for a reviewer to acknowledge them). A full job screens every open party against the
whole list. E-mails about new hits go through an outbox too (`compliance.notifications`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from compliance import notifications
from compliance.hits import search_parties
from compliance.index import build_index, get_index
from compliance.matcher import Candidate, Index, Match
from compliance.models import RescreenChunk, RescreenJob
from entities.models import ListVersion, ListVersionChange
from lib.db import ids_in

if TYPE_CHECKING:
    from licensing.models import Application, ApplicationQuerySet, Party

log = logging.getLogger(__name__)

Change = ListVersionChange.Change

# Parties per chunk of a full re-screen: about 10 s of matching, well under the task time
# limit and the broker's visibility timeout, and small enough that a killed worker loses little.
PARTY_CHUNK_SIZE = 5_000
# Entities per chunk of a delta job: a 3,000-entity import becomes a handful of chunks.
ENTITY_CHUNK_SIZE = 500


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def pending_grace() -> timedelta:
    """How long a pending job may wait for its enqueue before the sweeper sends it again."""
    return timedelta(seconds=_setting("RESCREEN_PENDING_GRACE_SECONDS", 10))


def stall_after() -> timedelta:
    """A running job whose heartbeat is older than this has lost its worker (or its message)."""
    return timedelta(seconds=_setting("RESCREEN_STALL_SECONDS", 300))


# --- Writing jobs (the outbox) ---------------------------------------------------------------


def _user(actor: AbstractBaseUser | AnonymousUser | None) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def record_version_job(version: ListVersion) -> RescreenJob:
    """Write the delta job of a list version, inside the version's own transaction.

    Enqueued only after commit: a rolled-back change leaves neither a job nor a message.
    """
    job = RescreenJob.objects.create(
        list_version=version.number,
        kind=RescreenJob.Kind.DELTA,
        reason=f"List version {version.number} ({version.get_kind_display().lower()})"
        + (f": {version.reason}" if version.reason else ""),
        requested_by=version.created_by,
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


@transaction.atomic
def request_full_rescreen(*, actor: AbstractBaseUser | AnonymousUser | None, reason: str) -> RescreenJob:
    """Ask for every open case to be screened against the whole list, in chunks.

    A full job that has not started yet already covers a second request, so it is returned
    instead of queueing the same work twice.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why everything should be re-screened: auditors read this.")
    waiting = (
        RescreenJob.objects.select_for_update()
        .filter(kind=RescreenJob.Kind.FULL, status=RescreenJob.Status.PENDING, total_chunks=0)
        .first()
    )
    if waiting is not None:
        return waiting
    job = RescreenJob.objects.create(
        kind=RescreenJob.Kind.FULL,
        list_version=ListVersion.current_number(),
        reason=reason,
        requested_by=_user(actor),
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> bool:
    """Hand a job to Celery; a broker that is down leaves it pending for the sweeper."""
    from compliance.tasks import run_rescreen

    try:
        # No publish retries: a request must not hang on a dead broker, the sweeper retries.
        run_rescreen.apply_async((job_id,), retry=False)
    except Exception:
        log.warning("Could not enqueue re-screen job %s; the sweeper will retry", job_id, exc_info=True)
        return False
    RescreenJob.objects.filter(pk=job_id, status=RescreenJob.Status.PENDING).update(enqueued_at=timezone.now())
    return True


def sweep(*, now: datetime | None = None) -> list[int]:
    """Re-enqueue jobs that never started or stalled, and carry cases' stamps forward.

    Run by Celery beat; returns the ids of the jobs sent again.
    """
    now = now or timezone.now()
    ids = list(
        RescreenJob.objects.needing_enqueue(
            pending_before=now - pending_grace(), heartbeat_before=now - stall_after()
        ).values_list("pk", flat=True)
    )
    for job_id in ids:
        if enqueue(job_id):
            # A running job re-sent keeps running; touching the heartbeat stops the next sweep
            # from sending it yet again while the new message waits its turn.
            RescreenJob.objects.filter(pk=job_id, status=RescreenJob.Status.RUNNING).update(heartbeat_at=now)
    advance_screened_versions()
    return ids


# --- Planning and running a job ------------------------------------------------------------------


def plan_job(job_id: int, *, party_chunk_size: int | None = None, entity_chunk_size: int | None = None) -> int:
    """Cut a job into chunks once; planning again returns the chunks already made."""
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.total_chunks or job.chunks.exists():
            return job.total_chunks
        chunks: list[RescreenChunk] = []
        if job.kind == RescreenJob.Kind.FULL:
            size = party_chunk_size or _setting("RESCREEN_PARTY_CHUNK_SIZE", PARTY_CHUNK_SIZE)
            # In name order, every party of one name lands in one chunk, and the worker process
            # that runs it scores that name once (the index's name-stage cache). In id order the
            # same customers recur across chunks that different processes run, each scoring them
            # again: on the 100,000-party bench, 54,000 name scorings instead of 46,000.
            ids = list(open_parties().order_by("name", "pk").values_list("pk", flat=True))
            for number, start in enumerate(range(0, len(ids), size)):
                chunks.append(
                    RescreenChunk(
                        job=job,
                        index=number,
                        action=RescreenChunk.Action.PARTIES,
                        party_ids=ids[start : start + size],
                    )
                )
        else:
            size = entity_chunk_size or _setting("RESCREEN_ENTITY_CHUNK_SIZE", ENTITY_CHUNK_SIZE)
            changes = ListVersionChange.objects.filter(version__number=job.list_version or 0).values_list(
                "entity_id", "change"
            )
            screen = sorted(e for e, c in changes if c in (Change.ADDED, Change.CHANGED))
            removed = sorted(e for e, c in changes if c == Change.REMOVED)
            for start in range(0, len(screen), size):
                chunks.append(
                    RescreenChunk(
                        job=job,
                        index=len(chunks),
                        action=RescreenChunk.Action.ENTITIES,
                        entity_ids=screen[start : start + size],
                    )
                )
            if removed:
                chunks.append(
                    RescreenChunk(job=job, index=len(chunks), action=RescreenChunk.Action.DELISTED, entity_ids=removed)
                )
        RescreenChunk.objects.bulk_create(chunks)
        job.total_chunks = len(chunks)
        job.save(update_fields=["total_chunks"])
        return job.total_chunks


def start_job(job_id: int) -> list[int]:
    """Mark a job running, plan it if needed, and return the chunks still to do.

    Called on every delivery of the job's message: the first plans, later ones (the sweeper's,
    after a worker died) only hand out what is not done yet.
    """
    now = timezone.now()
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
            return []
        job.status = RescreenJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        if job.threshold is None:
            job.threshold = _threshold()
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "threshold"])
    plan_job(job_id)
    remaining = list(RescreenChunk.objects.filter(job_id=job_id, done=False).values_list("pk", flat=True))
    if not remaining:
        finish_job(job_id)
    return remaining


def fail_job(job_id: int, error: str) -> None:
    RescreenJob.objects.filter(pk=job_id).exclude(status=RescreenJob.Status.DONE).update(
        status=RescreenJob.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


@dataclass
class ChunkOutcome:
    """What one chunk found; `new_hits` are the ones that need a reviewer's eyes."""

    hits: int = 0
    new_hits: list[int] = field(default_factory=list)
    delisted: int = 0
    unmatched: int = 0
    parties: int = 0
    already_done: bool = False


def run_chunk(chunk_id: int) -> ChunkOutcome:
    """Screen one chunk and record its hits, all in one transaction with the chunk row locked.

    A second run of a done chunk, or one that waited on the lock while another worker ran it,
    changes nothing.
    """
    delay = float(os.environ.get("CLEARANCE_TEST_CHUNK_DELAY") or 0)
    if delay:
        # Tests only: gives a test time to kill a worker in the middle of a job.
        time.sleep(delay)
    chunk_job = RescreenChunk.objects.filter(pk=chunk_id).values_list("job_id", flat=True).first()
    if chunk_job is None:
        return ChunkOutcome(already_done=True)
    RescreenJob.objects.filter(pk=chunk_job).update(heartbeat_at=timezone.now())
    with transaction.atomic():
        # Only the chunk's row: FOR UPDATE over the join would lock the job's row too, for the
        # whole chunk, and every other worker's chunk of the job would wait on it (measured: the
        # two processes of a 2-core worker ran a full re-screen's chunks one at a time).
        chunk = RescreenChunk.objects.select_for_update(of=("self",)).select_related("job").get(pk=chunk_id)
        job = chunk.job
        if chunk.done or job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
            return ChunkOutcome(already_done=True)
        threshold = job.threshold if job.threshold is not None else _threshold()
        actor = _job_actor(job)
        if chunk.action == RescreenChunk.Action.PARTIES:
            outcome = _screen_parties(chunk, threshold=threshold, actor=actor, job=job)
        elif chunk.action == RescreenChunk.Action.ENTITIES:
            outcome = _screen_entities(chunk, threshold=threshold, actor=actor, job=job)
        else:
            outcome = _resolve_delisted(chunk, actor=actor, job=job)
        chunk.done = True
        chunk.hits_found = outcome.hits
        chunk.finished_at = timezone.now()
        chunk.save(update_fields=["done", "hits_found", "finished_at"])
        RescreenJob.objects.filter(pk=job.pk).update(
            done_chunks=F("done_chunks") + 1,
            hits_found=F("hits_found") + outcome.hits,
            new_hits=F("new_hits") + len(outcome.new_hits),
            delisted_hits=F("delisted_hits") + outcome.delisted,
            unmatched_hits=F("unmatched_hits") + outcome.unmatched,
            parties_screened=F("parties_screened") + outcome.parties,
            heartbeat_at=timezone.now(),
        )
        # Written with the hits, sent after commit: a worker that dies in between loses no e-mail.
        notifications.record_new_hits(outcome.new_hits, key=f"rescreen-chunk-{chunk.pk}")
    job.refresh_from_db(fields=["done_chunks", "total_chunks"])
    if job.done_chunks >= job.total_chunks:
        finish_job(job.pk)
    return outcome


def finish_job(job_id: int) -> None:
    """Close a job whose chunks are all done, and advance the cases' "screened against" stamp."""
    with transaction.atomic():
        job = RescreenJob.objects.select_for_update().get(pk=job_id)
        if job.status == RescreenJob.Status.DONE:
            return
        if RescreenChunk.objects.filter(job=job, done=False).exists():
            return
        job.status = RescreenJob.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])


def _threshold() -> float:
    from compliance.screening import current_threshold

    return current_threshold()


def _job_actor(job: RescreenJob) -> User:
    """Changes a re-screen makes are the system's, acting on the request of whoever asked."""
    from lib.users import system_user

    return system_user()


# --- Which cases are open ------------------------------------------------------------------------


def open_applications() -> ApplicationQuerySet:
    """Open cases: requests submitted, in review or on hold, and issued licences still valid.

    A licence on hold stays watched: a reviewer is deciding whether to release or revoke it.
    """
    from licensing.models import Application
    from licensing.status import OPEN_STATUSES, LicenceStatus

    today = timezone.localdate()
    valid_licence = Q(
        licence__status__in=[LicenceStatus.ACTIVE, LicenceStatus.ON_HOLD],
        licence__valid_from__lte=today,
        licence__valid_until__gte=today,
    )
    return Application.objects.filter(Q(status__in=OPEN_STATUSES) | valid_licence)


def open_parties() -> QuerySet[Party]:
    from licensing.models import Party

    return Party.objects.filter(application__in=open_applications())


# --- The index of open parties, kept per worker process --------------------------------------------


class PartyIndex:
    """Distinct names of open-case parties, searchable by a listed entity's names.

    Screening a handful of new entities against 100,000 parties must not analyse 100,000 names
    per job, so each worker keeps this index and only adds the parties submitted since it was
    built (parties of submitted requests never change; a request that closes is filtered out when
    its parties are looked up). It only proposes candidates: every proposal is scored again the
    way a full screen would score it.
    """

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
        """Ids of parties whose name may match one of `names` (a superset of the real hits)."""
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
SUBMIT_MARGIN = timedelta(minutes=10)


def party_index() -> PartyIndex:
    """This process's party index, brought up to date with the requests submitted since."""
    global _party_index
    from licensing.models import Party

    rows = open_parties().values_list("pk", "name", "application__submitted_at").order_by()
    current = _party_index
    if current is None or current.watermark is None:
        current = _party_index = PartyIndex.build(rows.iterator(chunk_size=5000))
        return current
    if current.watermark is not None:
        # `submitted_at` is set inside the submit transaction, which may commit after the index
        # was built with a later watermark: look back a margin longer than any submit, and skip
        # what the base already holds. The recent requests are found first (an index on
        # `submitted_at`), so this costs what was submitted since, not what is open.
        since = current.watermark - SUBMIT_MARGIN
        recent = open_applications().filter(submitted_at__gte=since).values("pk")
        current.tail = [
            row
            for row in Party.objects.filter(application__in=recent)
            .values_list("pk", "name", "application__submitted_at")
            .order_by()
            if row[0] not in current.party_ids
        ]
    if len(current.tail) > PartyIndex.REBUILD_AFTER:
        current = _party_index = PartyIndex.build(rows.iterator(chunk_size=5000))
    return current


def reset_party_index() -> None:
    global _party_index
    _party_index = None


# --- Chunks --------------------------------------------------------------------------------------


def _record_matches(
    parties: Sequence[tuple[Party, list[Match]]],
    *,
    version: int | None,
    threshold: float,
    actor: User,
    job: RescreenJob,
) -> ChunkOutcome:
    """Record every match as a hit (an upsert) and act on the ones that are new."""
    from compliance.hits import record_hits, with_entities

    outcome = ChunkOutcome(parties=len(parties))
    found = with_entities(parties)
    outcome.hits = len(found)
    outcome.new_hits = record_hits(
        found,
        list_version=version,
        threshold=threshold,
        actor=actor,
        reason=f"Re-screen {job.pk} against list version {version}",
    )
    if outcome.new_hits:
        flag_new_hits(outcome.new_hits, actor=actor, version=version)
    return outcome


_PARTY_FIELDS = ("pk", "application_id", "name", "country", "address")


def _screen_parties(chunk: RescreenChunk, *, threshold: float, actor: User, job: RescreenJob) -> ChunkOutcome:
    """A slice of open parties against the whole list (full re-screens)."""
    index = get_index()
    if chunk.party_ids:
        selected = open_parties().filter(ids_in("pk", chunk.party_ids))
    else:  # planned before chunks listed their parties: an id range
        selected = open_parties().filter(pk__gte=chunk.first_party_id or 0, pk__lte=chunk.last_party_id or 0)
    parties = list(selected.only(*_PARTY_FIELDS).order_by("pk"))
    results = search_parties(parties, index, threshold=threshold)
    outcome = _record_matches(results, version=index.version, threshold=threshold, actor=actor, job=job)
    stamp_screened({p.application_id for p in parties}, version=index.version)
    return outcome


def _screen_entities(chunk: RescreenChunk, *, threshold: float, actor: User, job: RescreenJob) -> ChunkOutcome:
    """Listed entities that were added or changed, against every open party (delta re-screens).

    The party index proposes the parties whose names come near an entity's name or aliases;
    each is then screened against an index of just these entities, exactly as a full screen would.
    """
    entities = build_index(job.list_version, entity_ids=chunk.entity_ids)
    if not len(entities):
        return ChunkOutcome(unmatched=_resolve_unmatched(chunk, entities, threshold=threshold, actor=actor, job=job))
    names = [n for c in entities.candidates for n in (c.name, *c.aliases)]
    proposed = party_index().propose(names, threshold=threshold)
    parties: list[Party] = []
    if proposed:
        parties = list(open_parties().filter(ids_in("pk", proposed)).only(*_PARTY_FIELDS).order_by("pk"))
    results = [(p, m) for p, m in search_parties(parties, entities, threshold=threshold) if m]
    outcome = _record_matches(results, version=job.list_version, threshold=threshold, actor=actor, job=job)
    outcome.unmatched = _resolve_unmatched(chunk, entities, threshold=threshold, actor=actor, job=job)
    return outcome


def _resolve_unmatched(
    chunk: RescreenChunk, entities: Index, *, threshold: float, actor: User, job: RescreenJob
) -> int:
    """Open hits on a changed entity that the party no longer matches: resolved, saying why.

    Screening the case afresh would not find them, so they must stop holding the case up; but a
    reviewer still acknowledges each (the status table), and the note keeps the score that says
    why. A reviewer's verdict (cleared, confirmed) is theirs: only hits nobody ruled on move.
    Runs in the chunk's transaction, so a chunk delivered twice resolves (and records) once.
    """
    from compliance.hits import short
    from compliance.models import Hit

    hits = (
        Hit.objects.select_for_update(of=("self",))
        .filter(entity_id__in=chunk.entity_ids, status=Hit.Status.OPEN, party__in=open_parties())
        .select_related("party")
        .order_by("pk")
    )
    screenable = {c.key for c in entities.candidates}
    affected: set[int] = set()
    resolved = 0
    for hit in hits:
        party = hit.party
        if hit.entity_id in screenable:
            scores = {
                m.key: m.score
                for m in entities.search(
                    party.name,
                    country=party.country or None,
                    address=party.address or None,
                    threshold=0.0,
                    limit=len(entities),
                )
            }
            score = scores.get(hit.entity_id, 0.0)
            if score >= threshold:
                continue
            why = f"no longer matches (score {score:.2f}, threshold {threshold:.2f})"
        else:
            why = "no longer screened (delisted or past its end date)"
        reason = f"Entity changed in list version {job.list_version}; {why}"
        hit.transition(Hit.Action.UNMATCH)
        hit.list_version = job.list_version
        hit.resolution = reason
        hit._history_user = actor  # type: ignore[attr-defined]
        hit._change_reason = short(reason)  # type: ignore[attr-defined]
        hit.save(update_fields=["status", "list_version", "resolution", "updated_at"])
        affected.add(party.application_id)
        resolved += 1
    if affected:
        _refresh_cases(
            affected,
            actor=actor,
            reason=f"Entity changed in list version {job.list_version}: a hit no longer matches, to acknowledge",
        )
    return resolved


def _resolve_delisted(chunk: RescreenChunk, *, actor: User, job: RescreenJob) -> ChunkOutcome:
    """Open hits on entities a version removed become "entity delisted", for a reviewer to see."""
    from compliance.hits import short
    from compliance.models import Hit

    outcome = ChunkOutcome()
    reason = f"Entity delisted in list version {job.list_version}"
    affected: set[int] = set()
    # Only entities still delisted: a later version may have listed one again before this job
    # ran (a queue backed up, a worker down), and its hits then still stand.
    hits = Hit.objects.select_for_update().filter(
        entity_id__in=chunk.entity_ids, entity__delisted_on__isnull=False, status=Hit.Status.OPEN
    )
    for hit in hits.select_related("party"):
        hit.transition(Hit.Action.DELIST)
        hit.list_version = job.list_version
        hit.resolution = reason
        hit._history_user = actor  # type: ignore[attr-defined]
        hit._change_reason = short(reason)  # type: ignore[attr-defined]
        hit.save(update_fields=["status", "list_version", "resolution", "updated_at"])
        affected.add(hit.party.application_id)
        outcome.delisted += 1
    _refresh_cases(affected, actor=actor, reason=reason)
    return outcome


# --- What a new hit does to a case ---------------------------------------------------------------


def flag_new_hits(hit_ids: Sequence[int], *, actor: User, version: int | None) -> None:
    """Put each case with a new hit back in front of a reviewer.

    An open request goes on hold, marked with why; an issued licence is put on hold until a
    reviewer releases or revokes it. Both through licensing's services and status table.
    """
    from compliance.models import Hit
    from licensing import services

    hits = Hit.objects.filter(pk__in=hit_ids).select_related("party", "entity").order_by("pk")
    by_case: dict[int, list[Hit]] = {}
    for hit in hits:
        by_case.setdefault(hit.party.application_id, []).append(hit)
    reasons: dict[int, str] = {}
    for application_id, case_hits in by_case.items():
        names = "; ".join(f"{h.party.name} ~ {h.entity.name} ({h.score:.2f})" for h in case_hits[:3])
        more = f" and {len(case_hits) - 3} more" if len(case_hits) > 3 else ""
        reasons[application_id] = f"New screening hit on list version {version}: {names}{more}"
    services.flag_for_review(actor=actor, reasons=reasons)


def _refresh_cases(application_ids: Iterable[int], *, actor: User, reason: str) -> None:
    from licensing import services
    from licensing.models import Application

    for application in Application.objects.filter(pk__in=list(application_ids)):
        if application.is_open:
            application.needs_attention = True
            application.attention_reason = reason
            _save_attributed(application, actor, reason, ["needs_attention", "attention_reason", "updated_at"])
        services.refresh_determination(application=application, actor=actor, reason=reason)


def _save_attributed(obj: Any, actor: User, reason: str, fields: list[str]) -> None:
    from compliance.hits import short

    obj._history_user = actor
    obj._change_reason = short(reason)
    obj.save(update_fields=fields)


# --- "Screened against version N" ----------------------------------------------------------------


def stamp_screened(application_ids: Iterable[int], *, version: int | None) -> int:
    """Record that these cases were screened against the whole list up to `version`.

    A plain UPDATE, not a history row per case: the stamp is derived data, and the RescreenJob
    that set it is the audit record (who asked, when, against which version).
    """
    from licensing.models import Application

    if version is None:
        return 0
    ids = list(application_ids)
    return (
        Application.objects.filter(ids_in("pk", ids))
        .filter(Q(last_screened_version__isnull=True) | Q(last_screened_version__lt=version))
        .update(last_screened_version=version)
    )


STAMP_BATCH = 2_000


def screened_through() -> int:
    """The list version every case open now has been screened up to.

    A delta job screens every open case, so once the delta jobs of versions K+1..M are done, a
    case screened through K is screened through M. Delta jobs can finish out of order: the
    version stops at the first one still waiting.
    """
    waiting = (
        RescreenJob.objects.filter(kind=RescreenJob.Kind.DELTA)
        .exclude(status=RescreenJob.Status.DONE)
        .order_by("list_version")
        .values_list("list_version", flat=True)
        .first()
    )
    return (waiting - 1) if waiting is not None else ListVersion.current_number()


def advance_screened_versions() -> int:
    """Write `screened_through()` into the stamp of each open case behind it; run by the sweeper.

    Pages work the version out on read (`screened_against`), so this only keeps the stored stamp,
    which exports and closed cases show, close behind. It is not part of a job: rewriting every
    open case after every list version would make a one-entity change cost as much as the
    number of open cases, and hold their row locks while the next job's hits wait. It writes
    in short batches for the same reason.
    """
    from licensing.models import Application

    through = screened_through()
    behind = open_applications().filter(last_screened_version__isnull=False, last_screened_version__lt=through)
    ids = list(behind.order_by("pk").values_list("pk", flat=True))
    moved = 0
    for start in range(0, len(ids), STAMP_BATCH):
        moved += Application.objects.filter(
            ids_in("pk", ids[start : start + STAMP_BATCH]), last_screened_version__lt=through
        ).update(last_screened_version=through)
    return moved


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
    is_open = last is not None and open_applications().filter(pk=application.pk).exists()
    if is_open and last is not None:
        last = max(last, screened_through())
    return {
        "last_screened_version": last,
        "current_version": current,
        "out_of_date": is_open and (last is None or last < current),
    }


def jobs_for_versions(numbers: Iterable[int]) -> dict[int, RescreenJob]:
    """The delta job of each list version, for pages that list versions."""
    jobs = RescreenJob.objects.filter(kind=RescreenJob.Kind.DELTA, list_version__in=list(numbers))
    return {job.list_version: job for job in jobs if job.list_version is not None}


def progress(job: RescreenJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "list_version": job.list_version,
        "reason": job.reason,
        "requested_by": job.requested_by.username if job.requested_by else None,
        "status": job.status,
        "threshold": job.threshold,
        "total_chunks": job.total_chunks,
        "done_chunks": job.done_chunks,
        "percent": job.percent,
        "hits_found": job.hits_found,
        "new_hits": job.new_hits,
        "delisted_hits": job.delisted_hits,
        "unmatched_hits": job.unmatched_hits,
        "parties_screened": job.parties_screened,
        "attempts": job.attempts,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
    }
