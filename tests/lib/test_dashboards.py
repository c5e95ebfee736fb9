from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from entities.figures import list_versions_over_time
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


def test_admins_see_list_changes_per_week_with_the_versions_that_made_them(
    client_for: Callable[[User], Client], compliance_admin: User
) -> None:
    make_entity("Acme Rocket Works", actor=compliance_admin)
    make_entity("Borealis Optics", actor=compliance_admin)
    chart = list_versions_over_time()
    assert sum(chart.series["Added"]) == 2
    page = client_for(compliance_admin).get(reverse("dashboard")).content.decode()
    assert "List changes per week" in page
    assert "Latest list versions" in page
    assert "test fixture" in page
    assert "<svg" in page


def test_sales_do_not_see_the_list_maintenance_charts(client_for: Callable[[User], Client], sales: User) -> None:
    make_entity("Acme Rocket Works")
    page = client_for(sales).get(reverse("dashboard")).content.decode()
    assert "List changes per week" not in page


def test_charts_load_nothing_from_outside_the_server(
    client_for: Callable[[User], Client], compliance_admin: User
) -> None:
    make_entity("Acme Rocket Works", actor=compliance_admin)
    page = client_for(compliance_admin).get(reverse("dashboard")).content.decode()
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page)


def test_every_chart_comes_with_its_numbers_as_a_table(
    client_for: Callable[[User], Client], compliance_admin: User
) -> None:
    make_entity("Acme Rocket Works", actor=compliance_admin)
    page = client_for(compliance_admin).get(reverse("dashboard")).content.decode()
    assert page.count('role="img"') == page.count("<summary>The numbers</summary>") >= 1


def test_the_dashboard_query_count_does_not_grow_with_the_list(
    client_for: Callable[[User], Client], compliance_admin: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(compliance_admin)
    make_entity("Acme Rocket Works", actor=compliance_admin)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard"))
    for n in range(15):
        make_entity(f"Entity number {n}", actor=compliance_admin)
    cache.clear()  # count the figures again, over more rows
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("dashboard")).status_code == 200


def test_the_versions_table_says_what_re_screening_each_version_set_off(
    client_for: Callable[[User], Client], compliance_admin: User
) -> None:
    from compliance.models import RescreenJob
    from entities.models import ListVersion

    make_entity("Acme Rocket Works", actor=compliance_admin)
    number = ListVersion.current_number()
    job, _ = RescreenJob.objects.get_or_create(list_version=number, defaults={"kind": RescreenJob.Kind.DELTA})
    RescreenJob.objects.filter(pk=job.pk).update(status=RescreenJob.Status.DONE, parties_screened=4, new_hits=1)
    page = client_for(compliance_admin).get(reverse("dashboard")).content.decode()
    assert "4 parties screened, 1 new hit" in page
    assert "Re-screens per week" in page


def test_reviewers_see_the_queue_by_age_and_their_own_turnaround(
    client_for: Callable[[User], Client], sales: User, reviewer: User, reviewer2: User
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from licensing.figures import queue_by_age, turnaround
    from licensing.models import Application
    from tests.lib.cases import decide_request, file_request

    fresh = file_request(sales)
    old = file_request(sales)
    Application.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=20))
    decide_request(reviewer, file_request(sales), outcome="denied")
    decide_request(reviewer2, file_request(sales))
    queue = queue_by_age()
    assert queue.series["Submitted"] == [1, 0, 0, 0, 1]
    assert fresh.status == "submitted"
    mine = turnaround(reviewer)
    assert sum(mine.series["Decided"]) == 1
    page = client_for(reviewer).get(reverse("dashboard")).content.decode()
    assert "Review queue by age" in page and "Your turnaround" in page
    assert "Open requests" in page


def test_sales_see_only_their_own_requests_and_decisions(
    client_for: Callable[[User], Client], sales: User, sales2: User, reviewer: User
) -> None:
    from licensing.figures import decisions_over_time, requests_by_status
    from tests.lib.cases import decide_request, file_request

    decide_request(reviewer, file_request(sales), conditions="No re-export to Iran.")
    file_request(sales2)
    file_request(sales2, submit=False)
    mine = requests_by_status(sales)
    assert sum(mine.series["Requests"]) == 1
    assert sum(requests_by_status(reviewer).series["Requests"]) == 3
    decisions = decisions_over_time(sales)
    assert sum(decisions.series["Approved with conditions"]) == 1
    assert sum(decisions_over_time(sales2).series["Approved with conditions"]) == 0
    page = client_for(sales).get(reverse("dashboard")).content.decode()
    assert "Requests by status" in page and "Review queue by age" not in page


def test_the_reviewer_dashboard_query_count_does_not_grow_with_the_queue(
    client_for: Callable[[User], Client], sales: User, reviewer: User, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.lib.cases import decide_request, file_request

    client = client_for(reviewer)
    decide_request(reviewer, file_request(sales))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("dashboard"))
    for _ in range(6):
        file_request(sales)
        decide_request(reviewer, file_request(sales), outcome="returned")
    cache.clear()  # count the figures again, over more rows
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("dashboard")).status_code == 200
