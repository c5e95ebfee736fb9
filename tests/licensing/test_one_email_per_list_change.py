"""A list change tells each person once about the cases it put on hold, in one e-mail.

Uses three entries added to the real 2026 Entity List (../shared/data, skipped when absent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from compliance.models import RescreenJob
from entities.importers import import_list
from lib.models import Notification
from lib.roles import Role
from licensing.models import Application, Hit
from tests.compliance.jobs import latest_job, run_job
from tests.entities.real_lists import ENTITY_LIST_2026, real_rows
from tests.factories import make_user
from tests.licensing.factories import make_application, party

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

ADDRESS = "Aram Khachatrian 12, Apt 93, Yerevan"


def with_email(user: User, address: str) -> User:
    user.email = address
    user.save()
    return user


def test_one_import_sends_each_person_one_email_listing_all_their_cases(
    settings: Any, tmp_path: Path, reviewer: User, reviewer2: User, django_capture_on_commit_callbacks: Any
) -> None:
    # One entity per chunk: the hits of one case are found by different chunks of the job.
    settings.RESCREEN_ENTITY_CHUNK_SIZE = 1
    with_email(reviewer, "reviewer@example.com")
    with_email(reviewer2, "reviewer2@example.com")
    applicant = with_email(make_user(Role.SALES, username="applicant"), "applicant@example.com")
    first = make_application(
        applicant=applicant,
        destination="AM",
        parties=[
            party("Arm-Bekar LLC", country="AM", address=ADDRESS),
            party("Aram Kocharyan", role="intermediate_consignee", country="AM", address=ADDRESS),
        ],
        assigned_to=reviewer,
    )
    second = make_application(
        applicant=applicant,
        destination="AM",
        parties=[party("Hermine Kocharyan", country="AM", address=ADDRESS)],
        assigned_to=reviewer,
    )
    admin = make_user(Role.COMPLIANCE_ADMIN, username="listadmin")
    path = real_rows(ENTITY_LIST_2026, ["Aram Kocharyan", "ARM-BEKAR LLC", "Hermine Kocharyan"], tmp_path / "el.csv")

    with django_capture_on_commit_callbacks(execute=True):
        import_list(actor=admin, path=path)
        job = run_job(latest_job())

    assert job.status == RescreenJob.Status.DONE and job.total_chunks == 3
    assert Hit.objects.filter(party__application=first).count() >= 2
    assert Application.objects.get(pk=second.pk).status == "on_hold"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "applicant@example.com",
        "reviewer2@example.com",
        "reviewer@example.com",
    ]
    assert all(len(m.to) == 1 for m in mail.outbox)
    for message in mail.outbox:
        assert str(first.reference) in message.body and str(second.reference) in message.body
        assert "Arm-Bekar LLC" in message.body and "Hermine Kocharyan" in message.body
        assert message.subject.startswith("New screening hits on 2 requests")

    # A job's e-mails are written once: running its last step again sends nothing more.
    from compliance.rescreen.jobs import finish_job

    finish_job(job.pk)
    assert Notification.objects.count() == 3
