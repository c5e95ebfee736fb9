"""Two reviewers decide the same request at the same moment, each on their own database connection."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from lib.roles import Role
from licensing import services
from licensing.models import Decision, Licence
from licensing.services import AlreadyDecided
from tests.factories import make_user
from tests.licensing.factories import make_application


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_two_racing_decisions_lands_and_the_other_is_told_why() -> None:
    sales = make_user(Role.SALES, username="seller")
    first = make_user(Role.REVIEWER, username="ana")
    second = make_user(Role.REVIEWER, username="ben")
    application = make_application(applicant=sales, submitted=True)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def decide(reviewer: User, outcome: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.decide(actor=reviewer, application=application, outcome=outcome, rationale=f"{outcome} by me")
            outcomes[reviewer.username] = "decided"
        except AlreadyDecided as exc:
            outcomes[reviewer.username] = exc.message
        finally:
            connection.close()  # each thread had its own connection

    threads = [
        threading.Thread(target=decide, args=(first, "approved")),
        threading.Thread(target=decide, args=(second, "denied")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values(), key=lambda v: v != "decided")[0] == "decided"
    assert Decision.objects.count() == 1
    decision = Decision.objects.get()
    loser = "ben" if decision.decided_by.username == "ana" else "ana"
    assert outcomes[loser].startswith(f"This request was already decided by {decision.decided_by.username} at ")
    application.refresh_from_db()
    assert application.status == decision.outcome
    assert Licence.objects.count() == (1 if decision.outcome == "approved" else 0)
