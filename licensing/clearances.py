"""Remembered clearances: a reviewer's "false positive" carried to later hits of the same party.

A clearance is remembered for one party identity (normalised name, country and address) and one
listed entity, with the evidence the reviewer saw, until a review date. Screening applies it
through `licensing.hits` (`settle_with_clearance`): a later hit of the same identity on the same
entity, unchanged, is recorded as cleared by it; any change to the entity's record or to the
party's identifying fields, the review date passing, or a revocation opens the next hit again,
and the hit says why. Compliance admins revoke clearances here; hits it cleared on open cases
reopen at once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.models import ScreeningConfig
from entities.models import Entity
from lib.history import attribute
from licensing.models import Hit, Party, RememberedClearance

# Review policies under which a remembered clearance needs the setting to allow it.
DENIAL_POLICIES = frozenset({"presumption_of_denial", "policy_of_denial"})

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def _fold(text: str) -> str:
    """Unicode-compatible, case-free, punctuation-free, single-spaced: how a person would compare."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def identity_key(*, name: str, country: str, address: str) -> str:
    """The party identity a clearance is remembered for.

    Deliberately stricter than the matcher: legal forms and word order are kept, so "Acme Co"
    and "Acme Ltd" are different parties. Only spelling noise a clerk would not notice (case,
    punctuation, spacing, full-width characters) is folded away.
    """
    parts = [_fold(name), (country or "").strip().upper(), _fold(address)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def party_identity(party: Party) -> str:
    return identity_key(name=party.name, country=party.country, address=party.address)


def name_key(name: str) -> str:
    return hashlib.sha256(_fold(name).encode()).hexdigest()


def entity_evidence(entity: Entity) -> dict[str, Any]:
    """The entity's record as the reviewer saw it: enough to judge the clearance without the list."""
    return {
        "key": entity.key,
        "source": entity.source,
        "name": entity.name,
        "entity_type": entity.entity_type,
        "aliases": [alias.name for alias in entity.aliases.all()],
        "addresses": [
            ", ".join(part for part in (a.address, a.city, a.state, a.postal_code, a.country) if part)
            for a in entity.addresses.all()
        ],
        "license_requirement": entity.license_requirement,
        "license_policy": entity.license_policy,
        "federal_register_notice": entity.federal_register_notice,
        "dates_of_birth": entity.dates_of_birth,
        "nationalities": entity.nationalities,
        "ids": entity.ids,
        "remarks": entity.remarks,
        "content_hash": entity.content_hash,
    }


def remember(*, actor: User, hit: Hit) -> RememberedClearance:
    """Remember the clearance a reviewer just made on `hit` (inside `licensing.hits.clear_hit`).

    Refused under a presumption or policy of denial unless the setting allows it: such hits are
    the ones a compliance team wants a person to look at every time.
    """
    config = ScreeningConfig.load()
    if hit.license_policy in DENIAL_POLICIES and not config.remember_under_denial:
        raise ValidationError(
            {
                "remember": (
                    f"This hit is under a {hit.license_policy_label.lower()}: the screening settings do not allow "
                    "remembering clearances of such hits. Clear it without remembering."
                )
            }
        )
    party = hit.party
    entity = Entity.objects.prefetch_related("aliases", "addresses").get(pk=hit.entity_id)
    clearance = RememberedClearance(
        identity_key=party_identity(party),
        name_key=name_key(party.name),
        party_name=party.name,
        party_country=party.country,
        party_address=party.address,
        entity=entity,
        entity_hash=entity.content_hash,
        list_version=hit.list_version,
        entity_record=entity_evidence(entity),
        score=hit.score,
        matched_name=hit.matched_name,
        explanation=hit.explanation,
        license_policy=hit.license_policy,
        rationale=hit.rationale,
        hit=hit,
        application_id=party.application_id,
        created_by=actor,
        review_by=timezone.localdate() + timedelta(days=config.clearance_review_days),
    )
    attribute(clearance, actor, f"Remembered from hit {hit.pk}")
    clearance.save()
    hit.cleared_by = None
    hit.lapsed_clearance = None
    hit.clearance_note = f"Remembered as clearance #{clearance.pk} until {clearance.review_by.isoformat()}"
    return clearance


def candidates(pairs: Collection[tuple[str, int]]) -> dict[tuple[str, int], list[RememberedClearance]]:
    """The clearances remembered for each (name key, entity id), newest first: one query."""
    if not pairs:
        return {}
    rows = (
        RememberedClearance.objects.filter(
            name_key__in={key for key, _ in pairs}, entity_id__in={entity for _, entity in pairs}
        )
        .select_related("application", "created_by")
        .order_by("-created_at", "-pk")
    )
    found: dict[tuple[str, int], list[RememberedClearance]] = {}
    for clearance in rows:
        pair = (clearance.name_key, clearance.entity_id)
        if pair in pairs:
            found.setdefault(pair, []).append(clearance)
    return found


def pick(
    remembered: list[RememberedClearance], *, party: Party, identity: str, entity_hash: str, today: date
) -> tuple[RememberedClearance | None, str | None]:
    """The clearance that clears this hit (and None), or else the newest one and why it does not."""
    reasons = [
        (c, c.lapse_reason(identity_key=identity, country=party.country, entity_hash=entity_hash, today=today))
        for c in remembered
    ]
    for clearance, lapse in reasons:
        if lapse is None:
            return clearance, None
    return reasons[0] if reasons else (None, None)


def cleared_note(clearance: RememberedClearance) -> str:
    made = timezone.localtime(clearance.created_at).date().isoformat()
    return (
        f"Cleared by remembered clearance #{clearance.pk}, made on case {clearance.application} by "
        f"{clearance.created_by.username} on {made} (review by {clearance.review_by.isoformat()}): "
        f"{clearance.rationale}"
    )


def lapsed_note(clearance: RememberedClearance, why: str) -> str:
    return f"Remembered clearance #{clearance.pk} (case {clearance.application}) no longer applies: {why}"
