"""A reviewer works through hits as a person would: entries of one name side by side, several
ruled on with one rationale, and the page returning to where they were."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from licensing import services
from licensing.models import Application, Hit
from tests.factories import make_entity
from tests.licensing.factories import make_application, party

pytestmark = pytest.mark.django_db

NAME = "Zhongxing Microwave Components Co., Ltd."


@pytest.fixture
def case(reviewer: User) -> Application:
    make_entity(NAME, country="CN")
    make_entity(NAME, country="HK")
    make_entity(NAME, source="MEU", country="CN")
    make_entity("Volga River Tractor Works", country="RU")
    application = make_application(
        destination="CN",
        parties=[party("Zhongxing Microwave Components", country="CN", address="3 Gaoxin Road, Xi'an")],
        assigned_to=reviewer,
    )
    assert Hit.objects.filter(party__application=application).count() == 3
    return application


def test_a_reviewer_clears_three_hits_with_one_rationale_and_returns_to_the_hits(
    case: Application, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    services.flag_cases(actor=reviewer, reasons={case.pk: "New screening hit on list version 4"}, hold=False)
    ids = list(Hit.objects.filter(party__application=case).values_list("pk", flat=True))
    client = client_for(reviewer)

    response = client.post(
        reverse("licensing:hits_review", args=[case.pk]),
        {"hits": ids, "verdict": "clear", "rationale": "Our customer is a university lab in Xi'an, not this firm"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:detail", args=[case.pk]) + "#hits-heading"
    hits = Hit.objects.filter(pk__in=ids)
    assert {h.status for h in hits} == {Hit.Status.CLEARED}
    assert {h.rationale for h in hits} == {"Our customer is a university lab in Xi'an, not this firm"}
    assert {h.reviewed_by for h in hits} == {reviewer}
    case.refresh_from_db()
    assert not case.needs_attention, "the banner goes once no hit waits for a reviewer"
    page = client.get(reverse("licensing:detail", args=[case.pk])).content.decode()
    assert "3 hits cleared as false positives." in page
    assert page.index('id="hits-heading"') < page.index("3 hits cleared"), "shown where the reviewer is sent back to"
    assert 'role="status">Needs attention' not in page


def test_one_bad_hit_in_a_bulk_verdict_changes_none_of_them(
    case: Application, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    first, *rest = Hit.objects.filter(party__application=case).order_by("pk")
    # A list change took this one away: it is acknowledged, never cleared.
    Hit.objects.filter(pk=first.pk).update(status=Hit.Status.DELISTED)

    client_for(reviewer).post(
        reverse("licensing:hits_review", args=[case.pk]),
        {"hits": [first.pk, *(h.pk for h in rest)], "verdict": "clear", "rationale": "Not them"},
    )

    assert [h.status for h in Hit.objects.filter(pk__in=[h.pk for h in rest])] == [Hit.Status.OPEN] * 2


def test_a_bulk_verdict_needs_a_rationale(
    case: Application, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    ids = list(Hit.objects.filter(party__application=case).values_list("pk", flat=True))
    response = client_for(reviewer).post(
        reverse("licensing:hits_review", args=[case.pk]),
        {"hits": ids, "verdict": "confirm", "rationale": " "},
        follow=True,
    )
    assert "Give a rationale" in response.content.decode()
    assert not Hit.objects.exclude(status=Hit.Status.OPEN).exists()


def test_reviewing_one_hit_returns_to_its_card(
    case: Application, reviewer: User, client_for: Callable[[User], Client]
) -> None:
    hit = Hit.objects.filter(party__application=case).first()
    assert hit is not None
    response = client_for(reviewer).post(reverse("licensing:hit_clear", args=[hit.pk]), {"rationale": "Not them"})
    assert response["Location"] == reverse("licensing:detail", args=[case.pk]) + f"#hit-{hit.pk}"


def test_the_case_page_groups_hits_by_listed_name_and_shows_where_each_entry_is_listed(
    case: Application, reviewer: User, client_for: Callable[[User], Client], auditor: User
) -> None:
    page = client_for(reviewer).get(reverse("licensing:detail", args=[case.pk])).content.decode()
    assert f"Listed as {NAME} " in page and "(3 hits)" in page
    assert "Listed in HK: 1 Test Road" in page and "Listed in CN: 1 Test Road" in page
    for hit in Hit.objects.filter(party__application=case):
        assert reverse("entities:detail", args=[hit.entity_id]) in page
        assert f'name="hits" value="{hit.pk}"' in page
    # Reading is not reviewing: an auditor sees no verdict form.
    readonly = client_for(auditor).get(reverse("licensing:detail", args=[case.pk])).content.decode()
    assert "Rationale for the ticked hits" not in readonly and 'name="hits"' not in readonly


def test_a_sales_user_cannot_review_hits_in_bulk(
    case: Application, client_for: Callable[[User], Client], sales: User
) -> None:
    ids = list(Hit.objects.filter(party__application=case).values_list("pk", flat=True))
    response = client_for(sales).post(
        reverse("licensing:hits_review", args=[case.pk]), {"hits": ids, "verdict": "clear", "rationale": "x"}
    )
    assert response.status_code == 403
    assert not Hit.objects.exclude(status=Hit.Status.OPEN).exists()
