"""What a threshold change would do to the open work, worked out before it is saved.

The preview screens every open party against the current list at the proposed threshold, in
memory, and compares the result with the hits recorded now. It writes nothing: no hit, no
history row, no job. A raised threshold can only take hits away, and the stored scores say which,
so it needs no screening at all; a lowered one screens the open parties (each distinct name once,
through the index's name cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance.index import get_index
from compliance.models import ScreeningConfig
from compliance.screening import search_subjects
from licensing.models import Application, Hit, Licence, Party
from licensing.rescreening import PARTY_FIELDS, open_parties

# Hits that stand on a case today: a pair found again with one of these changes nothing.
STANDING = (Hit.Status.OPEN, Hit.Status.CONFIRMED, Hit.Status.CLEARED)
# Hits that weigh on a case (see `HitQuerySet.unresolved`): losing one of these changes the case.
WEIGHING = (Hit.Status.OPEN, Hit.Status.CONFIRMED)
MOST_AFFECTED = 20


@dataclass
class CaseImpact:
    application_id: int
    reference: str
    has_licence: bool
    new_hits: list[dict[str, Any]] = field(default_factory=list)
    lost_hits: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "application": self.application_id,
            "reference": self.reference,
            "has_licence": self.has_licence,
            "new_hits": self.new_hits,
            "lost_hits": self.lost_hits,
        }


@dataclass
class Impact:
    current_threshold: float
    threshold: float
    list_version: int | None
    parties_screened: int = 0
    requests_gaining: int = 0
    requests_losing: int = 0
    licences_gaining: int = 0
    licences_losing: int = 0
    hits_gained: int = 0
    hits_lost: int = 0
    cases: list[CaseImpact] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "current_threshold": self.current_threshold,
            "threshold": self.threshold,
            "list_version": self.list_version,
            "parties_screened": self.parties_screened,
            "open_requests": {"gaining_hits": self.requests_gaining, "losing_hits": self.requests_losing},
            "active_licences": {"gaining_hits": self.licences_gaining, "losing_hits": self.licences_losing},
            "hits_gained": self.hits_gained,
            "hits_lost": self.hits_lost,
            "most_affected": [case.as_dict() for case in self.cases],
        }


def preview_threshold(threshold: float) -> Impact:
    """The hits open requests and licences in force would gain and lose at `threshold`.

    Gained: a party and entity that would match and have no standing hit (none, or one a list
    change resolved). Lost: a hit weighing on a case (open or confirmed) that would no longer
    match. The 20 cases with the most changes come first, with their new hits.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("The threshold is a score between 0 and 1.")
    current = ScreeningConfig.load().threshold
    index = get_index()
    impact = Impact(current_threshold=current, threshold=threshold, list_version=index.version)
    standing = Hit.objects.filter(party__in=open_parties(), status__in=STANDING)
    rows = standing.values_list("party_id", "entity_id", "status", "score", "matched_name", "party__name")
    known: dict[tuple[int, int], tuple[str, float, str, str]] = {
        (party, entity): (status, score, matched, name) for party, entity, status, score, matched, name in rows
    }
    gains: dict[int, list[dict[str, Any]]] = {}  # by case
    losses: dict[int, list[dict[str, Any]]] = {}  # by party
    matching: set[tuple[int, int]] = set()
    lowered = threshold < current
    if lowered:
        parties = list(open_parties().only(*PARTY_FIELDS).order_by("pk"))
        impact.parties_screened = len(parties)
        for party, matches in search_subjects(parties, index, threshold=threshold):
            for match in matches:
                pair = (party.pk, match.key)
                matching.add(pair)
                if pair not in known:
                    gains.setdefault(party.application_id, []).append(
                        {
                            "party": party.name,
                            "entity": match.key,
                            "entity_name": match.name,
                            "matched_name": match.matched_name,
                            "score": match.score,
                        }
                    )
    for (party_id, entity_id), (status, score, matched, name) in known.items():
        # Raising the threshold needs no screening: a stored score below it no longer matches.
        still = (party_id, entity_id) in matching if lowered else score >= threshold
        if not still and status in WEIGHING:
            losses.setdefault(party_id, []).append(
                {"party": name, "entity": entity_id, "matched_name": matched, "score": score, "status": status}
            )
    _fold(impact, gains, losses)
    return impact


def _fold(impact: Impact, gains: dict[int, list[dict[str, Any]]], losses: dict[int, list[dict[str, Any]]]) -> None:
    """Fold the changes into cases, count requests and licences, and keep the most affected."""
    cases: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        application_id: (gained, []) for application_id, gained in gains.items()
    }
    for party_id, application_id in Party.objects.filter(pk__in=list(losses)).values_list("pk", "application_id"):
        cases.setdefault(application_id, ([], []))[1].extend(losses[party_id])
    licensed = set(
        Licence.objects.in_force().filter(application_id__in=list(cases)).values_list("application_id", flat=True)
    )
    references = dict(Application.objects.filter(pk__in=list(cases)).values_list("pk", "reference"))
    for application_id, (gained, lost) in cases.items():
        has_licence = application_id in licensed
        impact.hits_gained += len(gained)
        impact.hits_lost += len(lost)
        if gained:
            if has_licence:
                impact.licences_gaining += 1
            else:
                impact.requests_gaining += 1
        if lost:
            if has_licence:
                impact.licences_losing += 1
            else:
                impact.requests_losing += 1
    ranked = sorted(cases.items(), key=lambda item: (-len(item[1][0]), -len(item[1][1]), item[0]))
    for application_id, (gained, lost) in ranked[:MOST_AFFECTED]:
        impact.cases.append(
            CaseImpact(
                application_id=application_id,
                reference=str(references.get(application_id) or application_id),
                has_licence=application_id in licensed,
                new_hits=sorted(gained, key=lambda hit: -float(hit["score"])),
                lost_hits=lost,
            )
        )
