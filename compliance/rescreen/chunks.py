"""Running one chunk of a re-screen job: screen, record through the target, count, finish.

A chunk records its hits and flips `done` in one transaction with its row locked, so a chunk
delivered twice records each hit once. Every delivery counts an attempt first, in a transaction
of its own, so that a chunk which keeps raising (or keeps killing its worker) stops after
RESCREEN_CHUNK_MAX_ATTEMPTS and fails its job, loudly, instead of being handed out for ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance.index import build_index, get_index
from compliance.models import RescreenChunk, RescreenJob, ScreeningConfig
from compliance.rescreen.jobs import fail_job, finish_job
from compliance.rescreen.party_index import party_index
from compliance.rescreen.target import Recorded, screening_target
from compliance.screening import search_subjects
from lib.users import system_user


class ChunkFailed(Exception):
    """A chunk raised; `final` when it has used its attempts and its job is now failed."""

    def __init__(self, message: str, *, final: bool) -> None:
        super().__init__(message)
        self.final = final


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
    changes nothing. Raises ChunkFailed when the work raised.
    """
    attempts = _claim(chunk_id)
    if attempts is None:
        return ChunkOutcome(already_done=True)
    chunk = RescreenChunk.objects.select_related("job").get(pk=chunk_id)
    if attempts > settings.RESCREEN_CHUNK_MAX_ATTEMPTS:
        # Killed in the middle of its last attempt (the worker died, not the code raised).
        fail_job(chunk.job_id, _failure(chunk, chunk.error or "its worker stopped while running it"))
        return ChunkOutcome(already_done=True)
    try:
        outcome = _run(chunk_id)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        RescreenChunk.objects.filter(pk=chunk_id).update(error=error)
        final = attempts >= settings.RESCREEN_CHUNK_MAX_ATTEMPTS
        if final:
            chunk.error = error
            fail_job(chunk.job_id, _failure(chunk, error))
        raise ChunkFailed(error, final=final) from exc
    if not outcome.already_done:
        job = RescreenJob.objects.only("done_chunks", "total_chunks").get(pk=chunk.job_id)
        if job.done_chunks >= job.total_chunks:
            finish_job(job.pk)
    return outcome


def _claim(chunk_id: int) -> int | None:
    """Count an attempt on a chunk still to do, committed before the work; its attempts, or None.

    The UPDATE waits for a worker running the same chunk, then finds it done.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = RescreenChunk.objects.filter(
            pk=chunk_id, done=False, job__status__in=[RescreenJob.Status.PENDING, RescreenJob.Status.RUNNING]
        ).update(attempts=F("attempts") + 1)
        if not claimed:
            return None
        job_id, attempts = RescreenChunk.objects.filter(pk=chunk_id).values_list("job_id", "attempts").get()
        RescreenJob.objects.filter(pk=job_id).update(heartbeat_at=now)
    return attempts


def _failure(chunk: RescreenChunk, error: str) -> str:
    return (
        f"Chunk {chunk.index + 1} of {chunk.job.total_chunks} failed "
        f"{min(chunk.attempts, settings.RESCREEN_CHUNK_MAX_ATTEMPTS)} times: {error}"
    )


def _run(chunk_id: int) -> ChunkOutcome:
    with transaction.atomic():
        # Only the chunk's row: FOR UPDATE over the join would lock the job's row too, for the
        # whole chunk, and every other worker's chunk of the job would wait on it (measured: the
        # two processes of a 2-core worker ran a full re-screen's chunks one at a time).
        chunk = RescreenChunk.objects.select_for_update(of=("self",)).select_related("job").get(pk=chunk_id)
        job = chunk.job
        if chunk.done or job.status in (RescreenJob.Status.DONE, RescreenJob.Status.FAILED):
            return ChunkOutcome(already_done=True)
        # start_job stamps the threshold before it hands out chunks; a chunk run on its own uses today's.
        threshold = job.threshold if job.threshold is not None else ScreeningConfig.load().threshold
        # Changes a re-screen makes are the system's, acting on the request of whoever asked.
        actor = system_user()
        if chunk.action == RescreenChunk.Action.PARTIES:
            outcome = _screen_parties(chunk, threshold=threshold, actor=actor)
        elif chunk.action == RescreenChunk.Action.ENTITIES:
            outcome = _screen_entities(chunk, threshold=threshold, actor=actor)
        else:
            outcome = ChunkOutcome(
                delisted=screening_target().resolve_delisted(
                    chunk.entity_ids, list_version=job.list_version, actor=actor
                )
            )
        chunk.done = True
        chunk.hits_found = outcome.hits
        chunk.new_hit_ids = outcome.new_hits
        chunk.finished_at = timezone.now()
        chunk.save(update_fields=["done", "hits_found", "new_hit_ids", "finished_at"])
        RescreenJob.objects.filter(pk=job.pk).update(
            done_chunks=F("done_chunks") + 1,
            hits_found=F("hits_found") + outcome.hits,
            new_hits=F("new_hits") + len(outcome.new_hits),
            delisted_hits=F("delisted_hits") + outcome.delisted,
            unmatched_hits=F("unmatched_hits") + outcome.unmatched,
            parties_screened=F("parties_screened") + outcome.parties,
            heartbeat_at=timezone.now(),
        )
    return outcome


def _outcome(recorded: Recorded, *, parties: int) -> ChunkOutcome:
    return ChunkOutcome(hits=recorded.hits, new_hits=recorded.new_hits, parties=parties)


def _screen_parties(chunk: RescreenChunk, *, threshold: float, actor: User) -> ChunkOutcome:
    """A slice of open subjects against the whole list (full re-screens)."""
    target = screening_target()
    index = get_index()
    subjects = target.subjects(chunk.party_ids)
    recorded = target.record(
        search_subjects(subjects, index, threshold=threshold),
        list_version=index.version,
        threshold=threshold,
        actor=actor,
        reason=f"Re-screen {chunk.job_id} against list version {index.version}",
        unit=f"rescreen-chunk-{chunk.pk}",
    )
    if index.version is not None:
        target.stamp(subjects, version=index.version)
    return _outcome(recorded, parties=len(subjects))


def _screen_entities(chunk: RescreenChunk, *, threshold: float, actor: User) -> ChunkOutcome:
    """Listed entities that were added or changed, against every open subject (delta re-screens).

    The party index proposes the subjects whose names come near an entity's name or aliases;
    each is then screened against an index of just these entities, exactly as a full screen would.
    """
    target = screening_target()
    version = chunk.job.list_version
    entities = build_index(version, entity_ids=chunk.entity_ids)
    outcome = ChunkOutcome()
    if len(entities):
        names = [n for c in entities.candidates for n in (c.name, *c.aliases)]
        proposed = party_index().propose(names, threshold=threshold)
        subjects = target.subjects(proposed) if proposed else []
        results = [(s, m) for s, m in search_subjects(subjects, entities, threshold=threshold) if m]
        outcome = _outcome(
            target.record(
                results,
                list_version=version,
                threshold=threshold,
                actor=actor,
                reason=f"Re-screen {chunk.job_id} against list version {version}",
                unit=f"rescreen-chunk-{chunk.pk}",
            ),
            parties=len(subjects),
        )
    outcome.unmatched = target.resolve_unmatched(
        chunk.entity_ids, entities, threshold=threshold, list_version=version, actor=actor
    )
    return outcome
