"""Hits: recording what screening found on licence-request parties, and reviewers' verdicts on it.

`record_hits` is the one way hits are written (submit-time screening here, re-screening through
`licensing.rescreening`): an upsert on (party, entity) that remembers a reviewer's verdict for as
long as what it rested on holds (see `_refresh`). `record_hit` does the same for one
pair; `record_hits` falls back to it when a concurrent screening inserted a pair first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from compliance.index import get_index
from compliance.matcher import Match
from compliance.models import ScreeningConfig
from compliance.screening import search_subjects
from entities.models import Entity
from lib.history import attribute, save_with_history
from licensing import clearances
from licensing.models import Hit, Party, RememberedClearance
from licensing.rules import require_reviewer
from licensing.status import IllegalTransition

# Statuses a list change set, which the pair matching again undoes whatever a reviewer did since.
LIST_RESOLVED = frozenset({Hit.Status.DELISTED, Hit.Status.UNMATCHED, Hit.Status.ACKNOWLEDGED})
REOPENED_BECAUSE: dict[str, str] = {
    Hit.Status.DELISTED: "the entity is listed again",
    Hit.Status.UNMATCHED: "the party matches the entity again",
    Hit.Status.ACKNOWLEDGED: "the party matches the listed entity again",
}


def party_fingerprint(party: Party) -> str:
    """What identifies a party for screening: its name, country and address, case and spacing folded."""
    parts = [" ".join(str(value).casefold().split()) for value in (party.name, party.country, party.address)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _snapshot(*, entity: Entity, match: Match, list_version: int | None, threshold: float) -> dict[str, Any]:
    """What a hit records of how it was found: refreshed on every screening of the pair."""
    return {
        "score": match.score,
        "matched_name": match.matched_name[:500],
        "explanation": match.explanation,
        "license_requirement": entity.license_requirement,
        "license_policy": entity.license_policy,
        "license_policy_text": entity.license_policy_text,
        "list_version": list_version,
        "threshold": threshold,
    }


def _reopen(hit: Hit) -> None:
    hit.transition(Hit.Action.REOPEN)
    hit.rationale = ""
    hit.resolution = ""
    hit.reviewed_by = None
    hit.reviewed_at = None
    hit.cleared_by = None


def _refresh(
    hit: Hit,
    snapshot: dict[str, Any],
    *,
    fingerprint: str,
    identity: str,
    entity_hash: str,
    record_hash: str,
    reason: str,
    today: date,
) -> str:
    """Apply a new screening of an existing hit; returns the change reason.

    A verdict stands for as long as what it rested on holds:
    - a clearance ("not this party") rests on both records' identities, so it reopens when the
      party's own details change or the entity's names, aliases or addresses (country included)
      change (`Entity.identity_hash`); a new licence requirement or citation leaves it cleared;
    - a confirmation ("this party is the listed entity") rests on the party alone: an entity
      that gains an alias or an address is still the entity the reviewer confirmed, so only a
      change to the party's details reopens it;
    - a hit cleared by a remembered clearance keeps it while the clearance still applies (same
      party identity, same entity record (`record_hash`), review date not passed, not revoked),
      and otherwise reopens saying why.
    A hit a list change resolved (delisted, or no longer matching, acknowledged or not) that
    matches again is reopened too. The verdict reopened stays in the hit's history, which the
    case page shows as its earlier verdicts.
    """
    party_changed = hit.party_fingerprint != fingerprint
    entity_changed = hit.entity_hash != entity_hash
    for name, value in snapshot.items():
        setattr(hit, name, value)
    prior = hit.cleared_by if hit.cleared_by_id is not None and hit.status == Hit.Status.CLEARED else None
    if prior is not None:
        lapse = prior.lapse_reason(
            identity_key=identity, country=hit.party.country, entity_hash=record_hash, today=today
        )
        if lapse is not None:
            reason = f"Reopened: remembered clearance #{prior.pk} no longer applies"
            _reopen(hit)
            hit.lapsed_clearance = prior
            hit.clearance_note = clearances.lapsed_note(prior, lapse)
    else:
        what = ""
        if hit.status in LIST_RESOLVED:
            what = REOPENED_BECAUSE[hit.status]
        elif hit.status == Hit.Status.CLEARED and (party_changed or entity_changed):
            what = (
                "the party's details changed"
                if party_changed
                else "the listed entity's names, aliases or addresses changed"
            )
        elif hit.status == Hit.Status.CONFIRMED and party_changed:
            what = "the party's details changed"
        if what:
            reason = f"Reopened: {what}"
            _reopen(hit)
            # Whatever a remembered clearance said before is history now; `_settle` says it afresh.
            hit.lapsed_clearance = None
            hit.clearance_note = ""
    hit.party_fingerprint = fingerprint
    hit.entity_hash = entity_hash
    return reason


def _settle(
    hit: Hit,
    remembered: list[RememberedClearance],
    *,
    identity: str,
    entity_hash: str,
    today: date,
    now: datetime,
    reason: str,
) -> str:
    """An open hit a remembered clearance covers is cleared by it; otherwise the hit says why not.

    Returns the change reason. Hits a reviewer ruled on, or a list change resolved, are left as
    they are: a clearance remembered elsewhere never overrides this case's own reviewer.
    """
    if hit.status != Hit.Status.OPEN:
        return reason
    clearance, lapse = clearances.pick(
        remembered, party=hit.party, identity=identity, entity_hash=entity_hash, today=today
    )
    if clearance is None:
        return reason
    if lapse is None:
        hit.transition(Hit.Action.CLEAR)
        hit.cleared_by = clearance
        hit.lapsed_clearance = None
        hit.clearance_note = clearances.cleared_note(clearance)
        hit.rationale = clearance.rationale
        hit.reviewed_by = None
        hit.reviewed_at = now
        return f"Cleared by remembered clearance #{clearance.pk}"
    hit.lapsed_clearance = clearance
    hit.clearance_note = clearances.lapsed_note(clearance, lapse)
    return reason


def record_hit(
    *,
    party: Party,
    entity: Entity,
    match: Match,
    list_version: int | None,
    threshold: float,
    actor: User | None,
    reason: str = "Screened",
) -> tuple[Hit, bool]:
    """Insert or refresh the hit of `party` on `entity`; returns (hit, newly open).

    See `_refresh` for when a verdict survives. Must run inside a transaction; the row is locked
    so concurrent screenings write it once.
    """
    fingerprint = party_fingerprint(party)
    identity = clearances.party_identity(party)
    named = clearances.name_key(party.name)
    remembered = clearances.candidates({(named, entity.pk)}).get((named, entity.pk), [])
    now = timezone.now()
    today = timezone.localdate(now)
    snapshot = _snapshot(entity=entity, match=match, list_version=list_version, threshold=threshold)
    hit = _locked_hits().filter(party=party, entity=entity).first()
    if hit is None:
        hit = Hit(
            party=party, entity=entity, party_fingerprint=fingerprint, entity_hash=entity.identity_hash(), **snapshot
        )
        why = _settle(
            hit, remembered, identity=identity, entity_hash=entity.content_hash, today=today, now=now, reason=reason
        )
        attribute(hit, actor, why)
        # A concurrent screening may insert the same pair first; the constraint makes that harmless.
        try:
            with transaction.atomic():
                hit.save()
            return hit, hit.status == Hit.Status.OPEN
        except IntegrityError:
            pass
        hit = _locked_hits().get(party=party, entity=entity)
    hit.party = party
    was_open = hit.status == Hit.Status.OPEN
    why = _refresh(
        hit,
        snapshot,
        fingerprint=fingerprint,
        identity=identity,
        entity_hash=entity.identity_hash(),
        record_hash=entity.content_hash,
        reason=reason,
        today=today,
    )
    why = _settle(hit, remembered, identity=identity, entity_hash=entity.content_hash, today=today, now=now, reason=why)
    attribute(hit, actor, why)
    hit.save()
    return hit, hit.status == Hit.Status.OPEN and not was_open


_REFRESHED_FIELDS = [
    "score",
    "matched_name",
    "explanation",
    "license_requirement",
    "license_policy",
    "license_policy_text",
    "list_version",
    "threshold",
    "status",
    "rationale",
    "resolution",
    "reviewed_by_id",
    "reviewed_at",
    "party_fingerprint",
    "entity_hash",
    "cleared_by_id",
    "lapsed_clearance_id",
    "clearance_note",
    "updated_at",
]


# What makes a finding different from the last one; the list version alone does not.
_COMPARED_FIELDS = [name for name in _REFRESHED_FIELDS if name not in ("list_version", "updated_at")]


def _locked_hits() -> QuerySet[Hit]:
    # The clearance a hit was cleared by, with what its notes name, read with the hit.
    return Hit.objects.select_for_update(of=("self",)).select_related(
        "cleared_by__application", "cleared_by__created_by"
    )


def _existing_hits(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Hit]:
    """The hits already recorded for these (party, entity) pairs, locked."""
    rows = _locked_hits().filter(party_id__in={p for p, _ in wanted}, entity_id__in={e for _, e in wanted})
    return {(hit.party_id, hit.entity_id): hit for hit in rows if (hit.party_id, hit.entity_id) in wanted}


def record_hits(
    found: Sequence[tuple[Party, Entity, Match]],
    *,
    list_version: int | None,
    threshold: float,
    actor: User | None,
    reason: str,
) -> list[int]:
    """`record_hit` for many pairs at once (re-screening); returns the ids of newly open hits.

    The same outcome as recording each pair in turn, with one query to find and lock the
    existing rows and bulk writes (history rows included) for the rest. Must run inside a
    transaction. Should a concurrent screening insert one of the new pairs first, the inserts
    are redone one at a time so the unique constraint settles it as `record_hit` would.
    """
    if not found:
        return []
    existing = _existing_hits({(party.pk, entity.pk) for party, entity, _ in found})
    identities = {party.pk: clearances.party_identity(party) for party, _, _ in found}
    names = {party.pk: clearances.name_key(party.name) for party, _, _ in found}
    remembered = clearances.candidates({(names[party.pk], entity.pk) for party, entity, _ in found})
    now = timezone.now()
    today = timezone.localdate(now)
    inserts: list[tuple[Party, Entity, Match, Hit]] = []
    updates: list[Hit] = []
    newly_open: list[int] = []
    for party, entity, match in found:
        fingerprint = party_fingerprint(party)
        identity = identities[party.pk]
        candidates = remembered.get((names[party.pk], entity.pk), [])
        snapshot = _snapshot(entity=entity, match=match, list_version=list_version, threshold=threshold)
        hit = existing.get((party.pk, entity.pk))
        if hit is None:
            hit = Hit(
                party=party,
                entity=entity,
                party_fingerprint=fingerprint,
                entity_hash=entity.identity_hash(),
                **snapshot,
            )
            why = _settle(
                hit, candidates, identity=identity, entity_hash=entity.content_hash, today=today, now=now, reason=reason
            )
            attribute(hit, actor, why)
            inserts.append((party, entity, match, hit))
            continue
        hit.party = party  # the one screened, already in memory
        was_open = hit.status == Hit.Status.OPEN
        before = [getattr(hit, name) for name in _COMPARED_FIELDS]
        why = _refresh(
            hit,
            snapshot,
            fingerprint=fingerprint,
            identity=identity,
            entity_hash=entity.identity_hash(),
            record_hash=entity.content_hash,
            reason=reason,
            today=today,
        )
        why = _settle(
            hit, candidates, identity=identity, entity_hash=entity.content_hash, today=today, now=now, reason=why
        )
        if before == [getattr(hit, name) for name in _COMPARED_FIELDS]:
            # Found again exactly as before: the hit keeps the version it was found on, and the
            # case's own stamp records that it was screened again. Rewriting it (and a history
            # row) for every unchanged hit would make each nightly re-screen rewrite them all.
            continue
        attribute(hit, actor, why)
        hit.updated_at = now
        updates.append(hit)
        if hit.status == Hit.Status.OPEN and not was_open:
            newly_open.append(hit.pk)
    save_with_history(updates, _REFRESHED_FIELDS)
    if inserts:
        try:
            with transaction.atomic():
                bulk_create_with_history([hit for *_, hit in inserts], Hit, batch_size=500)
            newly_open.extend(hit.pk for *_, hit in inserts if hit.status == Hit.Status.OPEN)
        except IntegrityError:
            for party, entity, match, _ in inserts:
                hit, is_new = record_hit(
                    party=party,
                    entity=entity,
                    match=match,
                    list_version=list_version,
                    threshold=threshold,
                    actor=actor,
                    reason=reason,
                )
                if is_new:
                    newly_open.append(hit.pk)
    return newly_open


def with_entities(results: Sequence[tuple[Party, list[Match]]]) -> list[tuple[Party, Entity, Match]]:
    """(party, entity, match) for each match, the entities read in one query.

    An entity removed since the index was built is skipped; the next re-screen settles it.
    """
    keys = {match.key for _, matches in results for match in matches}
    # Aliases and addresses too: a hit records the entity's identity hash (`_refresh`).
    entities = Entity.objects.prefetch_related("aliases", "addresses").in_bulk(keys)
    return [(party, entities[m.key], m) for party, matches in results for m in matches if m.key in entities]


def screen_parties(*, parties: Iterable[Party], actor: User | None) -> int:
    """Screen each party against the current list; every match at or above the threshold is a hit.

    Returns how many hits the screening found (new, refreshed or found again unchanged). The
    hits are written with `record_hits`, as re-screening writes them: one locked lookup and
    bulk writes, whatever the number of parties and matches.
    """
    index = get_index()
    threshold = ScreeningConfig.load().threshold
    found = with_entities(search_subjects(parties, index, threshold=threshold))
    with transaction.atomic():
        record_hits(
            found,
            list_version=index.version,
            threshold=threshold,
            actor=actor,
            reason=f"Screened against list version {index.version}",
        )
    return len(found)


@dataclass(frozen=True)
class Verdict:
    """A reviewer's ruling on a hit as its history recorded it."""

    status: str
    label: str
    reviewer: str
    at: datetime
    rationale: str


_VERDICTS = (Hit.Status.CLEARED, Hit.Status.CONFIRMED, Hit.Status.ACKNOWLEDGED)


def earlier_verdicts(hits: Sequence[Hit]) -> dict[int, list[Verdict]]:
    """Every verdict each hit has had, oldest first, except the one it holds now.

    A hit reopened by a list change or a changed party loses its current verdict, not its past:
    the next reviewer reads why a colleague cleared or confirmed it before. One query.
    """
    labels = dict(Hit.Status.choices)
    rows = (
        Hit.history.filter(  # type: ignore[attr-defined]
            id__in=[hit.pk for hit in hits], status__in=_VERDICTS, reviewed_at__isnull=False
        )
        .select_related("reviewed_by")
        .order_by("history_date", "history_id")
    )
    current = {hit.pk: (hit.status, hit.reviewed_at) for hit in hits}
    seen: set[tuple[int, str, datetime]] = set()
    verdicts: dict[int, list[Verdict]] = {}
    for row in rows:
        mark = (row.id, row.status, row.reviewed_at)
        if mark in seen or current.get(row.id) == (row.status, row.reviewed_at):
            continue
        seen.add(mark)
        verdicts.setdefault(row.id, []).append(
            Verdict(
                status=row.status,
                label=labels.get(row.status, row.status),
                reviewer=row.reviewed_by.get_full_name() or row.reviewed_by.username if row.reviewed_by else "",
                at=row.reviewed_at,
                rationale=row.rationale,
            )
        )
    return verdicts


def _check_reviewer(*, actor: User, hit: Hit) -> None:
    application = hit.party.application
    require_reviewer(actor, application, doing="review hits on")
    if not application.is_open:
        raise ValidationError(
            f"Hits can be reviewed only on open cases; this one is {application.get_status_display().lower()}."
        )


def _review(*, actor: User, hit: Hit, rationale: str, action: str, verb: str, remember: bool = False) -> Hit:
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationError({"rationale": f"Give a rationale: why is this hit {verb}?"})
    hit = Hit.objects.select_for_update().select_related("party__application").get(pk=hit.pk)
    _check_reviewer(actor=actor, hit=hit)
    hit.transition(action)
    hit.rationale = rationale
    hit.reviewed_by = actor
    hit.reviewed_at = timezone.now()
    # This case's reviewer has ruled: the hit is theirs now, not a remembered clearance's.
    hit.cleared_by = None
    if remember:
        clearance = clearances.remember(actor=actor, hit=hit)
        verb = f"{verb} and remembered as clearance #{clearance.pk}"
    attribute(hit, actor, f"Hit {verb}: {rationale}")
    hit.save()
    return hit


@transaction.atomic
def clear_hit(*, actor: User, hit: Hit, rationale: str, remember: bool = False) -> Hit:
    """A reviewer rules a hit a false positive; it stays cleared until the party or entity changes.

    With `remember`, the clearance is also kept for the party's identity and the entity (see
    `licensing.clearances`), so later hits of the same party on the same entity arrive cleared.
    A confirmed hit is not cleared this way: see `reverse_confirmation`.
    """
    if Hit.objects.filter(pk=hit.pk, status=Hit.Status.CONFIRMED).exists():
        raise IllegalTransition(
            "A confirmed hit is not simply cleared: reversing a confirmation is its own action, "
            "taken with a rationale by a reviewer other than the one who confirmed it."
        )
    return _review(
        actor=actor, hit=hit, rationale=rationale, action=Hit.Action.CLEAR, verb="cleared", remember=remember
    )


@transaction.atomic
def reverse_confirmation(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """Another reviewer reverses a confirmed match (it becomes cleared), saying why.

    Four eyes on the one verdict that weighs most: whoever confirmed the match cannot undo it
    alone. The case keeps its memory: a request on which a hit under a presumption or policy of
    denial was ever confirmed still needs the override reason and the second sign-off to approve.
    """
    locked = Hit.objects.select_for_update().get(pk=hit.pk)
    if locked.status == Hit.Status.CONFIRMED and locked.reviewed_by_id == actor.pk:
        raise PermissionDenied(
            "You confirmed this hit, so another reviewer must reverse the confirmation (segregation of duties)."
        )
    return _review(actor=actor, hit=locked, rationale=rationale, action=Hit.Action.REVERSE, verb="reversed")


@transaction.atomic
def confirm_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """A reviewer rules that the party is the listed entity."""
    return _review(actor=actor, hit=hit, rationale=rationale, action=Hit.Action.CONFIRM, verb="confirmed")


@transaction.atomic
def acknowledge_hit(*, actor: User, hit: Hit, rationale: str) -> Hit:
    """A reviewer has seen that a list change took a hit away (entity delisted, or no longer matching).

    Until then the case is not approved: a delisting may be a mistake in the list, or the party
    may match another entry, and a compliance officer, not the import, says the case is clear.
    """
    return _review(actor=actor, hit=hit, rationale=rationale, action=Hit.Action.ACKNOWLEDGE, verb="acknowledged")
