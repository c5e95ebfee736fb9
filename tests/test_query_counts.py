"""List pages cost the same number of queries for 2 rows as for 20: no query per row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import make_entity
from tests.lib.cases import decide_request, file_request

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def _requests(sales: User, reviewer: User, admin: User, n: int) -> None:
    """n requests in a realistic mix: a hit on every third, decided every fourth."""
    for i in range(n):
        end_user = "Huawei Technologies Co Ltd" if i % 3 == 0 else f"Trading House {i} Ltd"
        application = file_request(sales, end_user=end_user)
        if i % 4 == 3:
            decide_request(reviewer, application, outcome="returned")


@pytest.mark.parametrize(
    ("url_name", "who"),
    [
        ("licensing:queue", "reviewer"),
        ("licensing:mine", "sales"),
        ("api-applications", "reviewer"),
    ],
)
def test_request_lists_do_not_query_per_row(
    url_name: str,
    who: str,
    sales: User,
    reviewer: User,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    api_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, aliases=("Huawei",))
    user = {"sales": sales, "reviewer": reviewer}[who]
    client = api_for(user) if url_name.startswith("api-") else client_for(user)
    url = reverse(url_name)
    _requests(sales, reviewer, compliance_admin, 2)
    few = _queries(client, url)
    _requests(sales, reviewer, compliance_admin, 18)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url_name", ["entities:list", "entity-list", "entities:versions"])
def test_list_pages_do_not_query_per_entity(
    url_name: str,
    compliance_admin: User,
    auditor: User,
    client_for: Callable[[User], Client],
    api_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    client = api_for(auditor) if url_name.startswith("entity-") else client_for(auditor)
    url = reverse(url_name)
    for i in range(2):
        make_entity(f"Listed Company {i}", actor=compliance_admin, aliases=(f"LC{i}", f"Alias {i}"))
    few = _queries(client, url)
    for i in range(2, 25):
        make_entity(f"Listed Company {i}", actor=compliance_admin, aliases=(f"LC{i}", f"Alias {i}"), country="RU")
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200


def _import(tmp_path: Path, actor: User, count: int) -> int:
    from entities.importers import import_list
    from tests.entities.import_helpers import csl_row, write_csl_csv

    rows = [csl_row(f"Imported Company {i}", addresses="Beijing, CN") for i in range(count)]
    result = import_list(actor=actor, path=write_csl_csv(tmp_path / f"list-{count}.csv", rows))
    assert result.version_number is not None
    return result.version_number


def test_a_versions_changes_cost_the_same_queries_for_3_rows_as_for_a_full_page(
    tmp_path: Path,
    compliance_admin: User,
    auditor: User,
    api_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    client = api_for(auditor)
    small = _import(tmp_path, compliance_admin, 3)
    few = _queries(client, f"/api/v1/list-versions/{small}/changes/")
    large = _import(tmp_path, compliance_admin, 80)  # 80 added, the first 3 removed
    with django_assert_max_num_queries(few):
        response = client.get(f"/api/v1/list-versions/{large}/changes/")
    assert (response.status_code, len(response.json()["results"])) == (200, 50)


def test_an_entitys_history_costs_the_same_queries_for_2_events_as_for_a_full_page(
    compliance_admin: User,
    auditor: User,
    api_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    import dataclasses

    from entities.services import record_from_entity, update_entity

    client = api_for(auditor)
    entity = make_entity("Acme Rocket Works", actor=compliance_admin, aliases=("Acme",))
    url = f"/api/v1/entities/{entity.pk}/history/"

    def edit(i: int) -> None:
        nonlocal entity
        record = dataclasses.replace(record_from_entity(entity), remarks=f"remark {i}", aliases=("Acme", f"Acme {i}"))
        entity = update_entity(actor=compliance_admin, entity=entity, record=record, reason=f"edit {i}")

    edit(0)
    few = _queries(client, url)
    for i in range(1, 70):
        edit(i)
    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert (response.status_code, response.json()["count"], len(response.json()["results"])) == (200, 71, 50)


def test_submitting_costs_the_same_queries_for_one_hit_as_for_many(
    sales: User,
    compliance_admin: User,
    api_for: Callable[[User], APIClient],
) -> None:
    """Screening on submit records its hits in bulk, and the response embeds them without a query each."""
    from licensing.models import Hit, Party
    from tests.licensing.factories import make_application, party

    for i in range(8):
        make_entity(f"Acme Rocket Works {i}", actor=compliance_admin, country="CN", aliases=(f"Acme Rockets {i}",))
    make_entity("Zenith Avionics Bureau", actor=compliance_admin, country="CN")
    client = api_for(sales)

    def submit(*names: str) -> int:
        application = make_application(
            applicant=sales, destination="CN", parties=[party(name, country="CN") for name in names]
        )
        with CaptureQueriesContext(connection) as captured:
            response = client.post(f"/api/v1/applications/{application.pk}/submit/")
        assert response.status_code == 200, response.content
        assert len(response.json()["hits"]) == Hit.objects.filter(party__application=application).count()
        return len(captured.captured_queries)

    one = submit("Zenith Avionics Bureau")
    assert Hit.objects.count() == 1
    many = submit("Acme Rocket Works", "Acme Rockets")
    assert Hit.objects.filter(party__role=Party.Role.END_USER).count() >= 1 + 2 * 8
    assert many <= one, f"{one} queries for one party and one hit, {many} for two parties and 16 hits"


def _converse(sales: User, reviewer: User, application: Any, n: int) -> None:
    """n questions answered with a document, and n notes mentioning a colleague."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from licensing import services

    for i in range(n):
        question = services.ask_question(actor=reviewer, application=application, text=f"Question {i}?")
        upload = SimpleUploadedFile(f"answer-{i}.txt", b"answer", "text/plain")
        services.reply_to_question(actor=sales, question=question, text=f"Answer {i}.", uploads=[upload])
        services.add_note(actor=reviewer, application=application, text=f"Note {i} for @{reviewer.username}")


@pytest.mark.parametrize(("url_name", "who"), [("licensing:detail", "reviewer"), ("licensing:detail", "sales")])
def test_the_case_page_costs_the_same_queries_for_one_question_and_note_as_for_many(
    url_name: str,
    who: str,
    sales: User,
    reviewer: User,
    compliance_admin: User,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    make_entity("Huawei Technologies Co., Ltd.", actor=compliance_admin, aliases=("Huawei",))
    application = file_request(sales, end_user="Huawei Technologies Co Ltd")
    client = client_for({"sales": sales, "reviewer": reviewer}[who])
    url = reverse(url_name, args=[application.pk])
    _converse(sales, reviewer, application, 1)
    few = _queries(client, url)
    _converse(sales, reviewer, application, 9)
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
