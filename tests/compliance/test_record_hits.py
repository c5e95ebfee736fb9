"""Recording many hits at once (re-screening) ends where recording them one by one would.

`record_hits` and `flag_for_review` write in bulk for speed; these tests hold them to the
behaviour of `record_hit` and of the one-case services: verdicts kept or reopened, every change
in history and attributed, a concurrent insert settled by the unique constraint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from compliance.index import reset_index
from compliance.matcher import Match
from entities.models import Entity
from entities.services import create_entity
from lib.roles import Role
from lib.users import system_user
from licensing import hits as hit_services
from licensing import services
from licensing.models import Application, Hit, Licence
from licensing.status import LicenceStatus, Status
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    reset_index()
    yield
    reset_index()


def _match(entity: Entity, score: float = 0.9) -> Match:
    return Match(
        key=entity.pk,
        name=entity.name,
        matched_name=entity.name,
        source=entity.source,
        score=score,
        explanation={"score": score},
    )


@pytest.fixture
def admin(db: None) -> Any:
    return make_user(Role.COMPLIANCE_ADMIN, username="listadmin")


@pytest.fixture
def entities(admin: Any) -> list[Entity]:
    return [
        create_entity(actor=admin, record=make_record(name, country="RU"), reason="notice")
        for name in ("Volga Precision Optics", "Ural Turbine Works", "Kama Composite Plant")
    ]


def _record(found: list[tuple[Any, Entity, Match]], *, version: int = 7) -> list[int]:
    with transaction.atomic():
        return hit_services.record_hits(
            found, list_version=version, threshold=0.8, actor=system_user(), reason="Re-screen 1 against list version 7"
        )


def test_new_pairs_become_open_hits_with_one_attributed_history_row_each(entities: list[Entity]) -> None:
    application = make_application(
        parties=[party("Volga Precision Optics LLC", country="RU")],
    )
    target = application.parties.get()

    new = _record([(target, entity, _match(entity)) for entity in entities[:2]])

    hits = list(Hit.objects.order_by("pk"))
    assert sorted(new) == [h.pk for h in hits]
    assert {(h.entity_id, h.status, h.list_version, h.threshold) for h in hits} == {
        (entities[0].pk, Hit.Status.OPEN, 7, 0.8),
        (entities[1].pk, Hit.Status.OPEN, 7, 0.8),
    }
    for hit in hits:
        rows = list(hit.history.all())
        assert len(rows) == 1
        assert rows[0].history_user.username == "system"  # type: ignore[union-attr]
        assert rows[0].history_change_reason == "Re-screen 1 against list version 7"


def test_a_second_run_restamps_without_opening_anything_again(entities: list[Entity]) -> None:
    application = make_application(
        parties=[party("Volga Precision Optics LLC", country="RU")],
    )
    target = application.parties.get()
    _record([(target, entities[0], _match(entities[0], 0.85))], version=7)

    again = _record([(target, entities[0], _match(entities[0], 0.91))], version=8)

    hit = Hit.objects.get()
    assert again == []
    assert (hit.score, hit.list_version, hit.status) == (0.91, 8, Hit.Status.OPEN)
    assert hit.history.count() == 2


def test_a_finding_unchanged_but_for_the_version_writes_nothing(entities: list[Entity]) -> None:
    application = make_application(parties=[party("Volga Precision Optics LLC", country="RU")])
    target = application.parties.get()
    _record([(target, entities[0], _match(entities[0], 0.85))], version=7)

    assert _record([(target, entities[0], _match(entities[0], 0.85))], version=9) == []

    hit = Hit.objects.get()
    assert (hit.list_version, hit.history.count()) == (7, 1), "the hit keeps the version it was found on"


def test_a_cleared_hit_keeps_its_verdict_until_the_party_changes_like_record_hit(
    entities: list[Entity], reviewer: Any
) -> None:
    application = make_application(
        parties=[party("Volga Precision Optics LLC", country="RU")],
        submitted=True,
    )
    target = application.parties.get()
    _record([(target, entities[0], _match(entities[0]))])
    hit = Hit.objects.get()
    hit_services.clear_hit(actor=reviewer, hit=hit, rationale="A different optics firm in Samara")

    assert _record([(target, entities[0], _match(entities[0]))]) == []
    hit.refresh_from_db()
    assert (hit.status, hit.rationale, hit.reviewed_by) == (
        Hit.Status.CLEARED,
        "A different optics firm in Samara",
        reviewer,
    )

    target.address = "12 Lenin Street, Kazan"  # the party changed: the verdict no longer applies
    reopened = _record([(target, entities[0], _match(entities[0]))])
    hit.refresh_from_db()
    assert reopened == [hit.pk]
    assert (hit.status, hit.rationale, hit.reviewed_by) == (Hit.Status.OPEN, "", None)
    assert hit.history.latest().history_change_reason == "Reopened: the party's details changed"


def test_a_delisted_hit_that_matches_again_is_reopened(entities: list[Entity]) -> None:
    application = make_application(
        parties=[party("Ural Turbine Works", country="RU")],
    )
    target = application.parties.get()
    _record([(target, entities[1], _match(entities[1]))])
    Hit.objects.update(status=Hit.Status.DELISTED)

    reopened = _record([(target, entities[1], _match(entities[1]))])

    hit = Hit.objects.get()
    assert reopened == [hit.pk]
    assert hit.status == Hit.Status.OPEN
    assert hit.history.latest().history_change_reason == "Reopened: the entity is listed again"


def test_a_pair_inserted_concurrently_is_settled_by_the_constraint(
    entities: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    application = make_application(
        parties=[party("Kama Composite Plant", country="RU")],
    )
    target = application.parties.get()
    _record([(target, entities[2], _match(entities[2], 0.82))])
    # As if another screening inserted the row between our lookup and our insert.
    monkeypatch.setattr(hit_services, "_existing_hits", lambda wanted: {})

    new = _record([(target, entities[2], _match(entities[2], 0.88)), (target, entities[0], _match(entities[0]))])

    assert Hit.objects.count() == 2
    fresh = Hit.objects.get(entity=entities[0])
    assert new == [fresh.pk]
    assert Hit.objects.get(entity=entities[2]).score == 0.88


def test_flagging_many_cases_holds_requests_and_licences_with_one_history_row_each(
    entities: list[Entity], reviewer: Any
) -> None:
    in_review = make_application(parties=[party("Volga Precision Optics LLC", country="RU")], assigned_to=reviewer)
    licensed = make_application(parties=[party("Baltic Marine Pumps", country="RU")], assigned_to=reviewer)
    services.decide(actor=reviewer, application=licensed, outcome="approved", rationale="Civil turbines")
    rows_before = {a.pk: a.history.count() for a in (in_review, licensed)}
    _record([(in_review.parties.get(), entities[0], _match(entities[0]))])
    _record([(licensed.parties.get(), entities[1], _match(entities[1]))])

    services.flag_cases(
        actor=system_user(), reasons={in_review.pk: "New hit: Volga", licensed.pk: "New hit: Ural"}, hold=True
    )

    in_review.refresh_from_db()
    licensed.refresh_from_db()
    assert in_review.status == Status.ON_HOLD
    assert (in_review.needs_attention, in_review.attention_reason) == (True, "New hit: Volga")
    assert any("matches Volga Precision Optics" in r for r in (in_review.determination or {}).get("reasons", [])), (
        "the determination is made again with the new hit"
    )
    assert licensed.status == Status.APPROVED and licensed.needs_attention
    assert Licence.objects.get(application=licensed).status == LicenceStatus.ON_HOLD
    assert in_review.history.count() == rows_before[in_review.pk] + 1
    latest = in_review.history.latest()
    assert (latest.history_user.username, latest.history_change_reason) == ("system", "On hold: New hit: Volga")  # type: ignore[union-attr]
    assert Licence.objects.get(application=licensed).history.latest().history_change_reason == "On hold: New hit: Ural"


def test_only_reviewers_and_the_system_may_flag_cases(entities: list[Entity]) -> None:
    application = make_application(parties=[party("Volga Precision Optics LLC", country="RU")])
    salesperson = make_user(Role.SALES, username="seller")
    with pytest.raises(services.PermissionDenied):
        services.flag_cases(actor=salesperson, reasons={application.pk: "sneaky"}, hold=True)
    assert Application.objects.get(pk=application.pk).status == application.status
