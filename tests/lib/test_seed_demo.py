from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from entities.models import Entity, ListVersion
from lib.roles import Role, roles_of
from licensing.models import AddressBookEntry, Application, Decision, Hit, Licence, Product
from licensing.status import Status

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_a_sample_list() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    request = RequestFactory().post("/login/")
    expected = {
        "sales": Role.SALES,
        "sales2": Role.SALES,
        "reviewer": Role.REVIEWER,
        "reviewer2": Role.REVIEWER,
        "admin": Role.COMPLIANCE_ADMIN,
        "auditor": Role.AUDITOR,
    }
    for username, role in expected.items():
        user = authenticate(request, username=username, password="demo-password")
        assert user is not None, username
        assert roles_of(user) == {role}
    assert "demo-password" in out.getvalue()
    assert Entity.objects.filter(name__startswith="Huawei").exists()
    # The sample list, then the demo list change that puts an open request on hold.
    assert ListVersion.objects.count() == 2


def _footprint() -> dict[str, int]:
    return {
        "versions": ListVersion.objects.count(),
        "entities": Entity.objects.count(),
        "requests": Application.objects.count(),
        "hits": Hit.objects.count(),
        "licences": Licence.objects.count(),
        "products": Product.objects.count(),
        "address book": AddressBookEntry.objects.count(),
        "history": Application.history.count(),  # type: ignore[attr-defined]
    }


def test_seed_demo_run_twice_changes_nothing_the_second_time() -> None:
    call_command("seed_demo", stdout=StringIO())
    first = _footprint()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _footprint() == first
    assert "Demo requests already there." in out.getvalue()


def test_seed_demo_leaves_requests_in_every_state_with_hits_cleared_and_confirmed() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    statuses = Counter(Application.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert sum(statuses.values()) >= 12
    hits = set(Hit.objects.values_list("status", flat=True))
    assert {Hit.Status.OPEN, Hit.Status.CLEARED, Hit.Status.CONFIRMED} <= hits
    # On hold because the list changed after it was submitted, found by the re-screen.
    held = Application.objects.get(status=Status.ON_HOLD)
    assert held.needs_attention
    assert held.parties.get().hits.get().entity.name == "Zhongxing Microwave Components Co., Ltd."
    assert held.history.filter(history_change_reason__startswith="On hold").exists()  # type: ignore[attr-defined]
    # Approved ones carry a licence, one of them with conditions over a presumption of denial.
    assert Licence.objects.filter(application__status=Status.APPROVED).count() == 2
    assert Decision.objects.exclude(override_reason="").filter(outcome="approved").exists()
    # The catalogue with confirmed and self-classified products, and an ECCN flagged on a case.
    assert {p.classification for p in Product.objects.all()} == {"confirmed", "self_classified"}
    assert Application.objects.filter(attention_reason__contains="confirmed classification").exists()
    assert AddressBookEntry.objects.count() >= 12
    printed = out.getvalue()
    assert "Demo requests: 15 (" in printed
    assert "1 on hold" in printed and "2 approved" in printed
    assert "the re-screen put it on hold" in printed
