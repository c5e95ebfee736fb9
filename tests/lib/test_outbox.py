"""E-mails go through an outbox: never sent for a rolled-back change, sent once, never lost.

New-hit e-mails (the first and busiest writer) stand for every kind of e-mail here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from entities.services import create_entity
from lib import outbox
from lib.models import Notification
from lib.roles import Role
from lib.tasks import sweep_outbox
from licensing import emails
from licensing.models import Application, Hit
from tests.compliance.jobs import latest_job, run_job
from tests.compliance.worker import Worker, broker_unreachable, wait_for
from tests.factories import make_record, make_user
from tests.licensing.factories import make_application, party


class Boom(Exception):
    pass


def make_case(reviewer: User, *, applicant_email: str = "applicant@example.com") -> Application:
    """An open case; e-mails go to each person on their own, so most tests leave the applicant
    without an address to follow one row."""
    applicant = make_user(Role.SALES, username="applicant")
    applicant.email = applicant_email
    applicant.save()
    reviewer.email = "reviewer@example.com"
    reviewer.save()
    return make_application(
        applicant=applicant,
        destination="CN",
        parties=[party("Shenzhen Bluewave Semiconductor Co., Ltd.", country="CN")],
        assigned_to=reviewer,
    )


def list_entity() -> None:
    admin = make_user(Role.COMPLIANCE_ADMIN)
    create_entity(actor=admin, record=make_record("Shenzhen Bluewave Semiconductor", country="CN"), reason="x")


@pytest.fixture
def case(db: None, reviewer: User) -> Application:
    """An open case; the entity that will hit it is listed later."""
    return make_case(reviewer)


@pytest.fixture
def new_hit(db: None, reviewer: User) -> Hit:
    """A hit on an open case (found when it was submitted), its e-mail not written yet."""
    list_entity()
    make_case(reviewer, applicant_email="")
    return Hit.objects.get()


def written(hit: Hit, *, key: str = "test") -> Notification:
    emails.new_hits([hit.pk], unit=key)
    return Notification.objects.get(key=f"new-hits:{key}:reviewer@example.com")


def grace() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_GRACE_SECONDS)


def test_a_rescreen_writes_the_email_with_its_hits_and_sends_it_after_commit(
    case: Application, django_capture_on_commit_callbacks: Any
) -> None:
    list_entity()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_job(latest_job())
    # Committed with the hits, not sent yet: the send is what the callbacks after commit do.
    notifications = list(Notification.objects.order_by("key"))
    assert [n.recipients for n in notifications] == [["applicant@example.com"], ["reviewer@example.com"]]
    assert all(n.key.startswith("new-hits:rescreen-job-") and n.sent_at is None for n in notifications)
    assert not mail.outbox
    for callback in callbacks:
        callback()
    for notification in notifications:
        notification.refresh_from_db()
        assert notification.sent_at is not None and notification.attempts == 1
    assert sorted(tuple(email.to) for email in mail.outbox) == [("applicant@example.com",), ("reviewer@example.com",)]
    email = mail.outbox[0]
    assert email.subject == f"{case.reference}: new screening hit"
    assert email.body.startswith("Re-screening found 1 new hit on 1 request; each is on hold")
    assert "- Shenzhen Bluewave Semiconductor Co., Ltd. (End user) matches Shenzhen Bluewave Semiconductor [EL]" in (
        email.body
    )


def test_a_notification_written_in_a_rolled_back_transaction_is_never_sent(
    new_hit: Hit, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        written(new_hit)
        raise Boom
    settings.NOTIFICATION_GRACE_SECONDS = 0
    sweep_outbox()
    assert not Notification.objects.exists()
    assert not mail.outbox


def test_a_committed_notification_is_sent_exactly_once_even_if_the_task_runs_twice(new_hit: Hit) -> None:
    notification = written(new_hit)
    assert outbox.send(notification.pk) is True
    assert outbox.send(notification.pk) is False
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 1


def test_writing_the_same_email_again_is_the_same_row(new_hit: Hit) -> None:
    first = written(new_hit, key="rescreen-chunk-7")
    again = written(new_hit, key="rescreen-chunk-7")
    assert first.pk == again.pk
    assert Notification.objects.count() == 1


def test_an_unsent_notification_is_picked_up_by_the_sweeper_after_the_grace_period(new_hit: Hit) -> None:
    notification = written(new_hit)  # its task never ran: the worker died, or the broker was down
    assert outbox.sweep() == []  # within the grace period its own task may still come
    assert not mail.outbox
    later = timezone.now() + grace() + timedelta(seconds=1)
    assert outbox.sweep(now=later) == [notification.pk]
    assert len(mail.outbox) == 1
    assert outbox.sweep(now=later) == []  # sent: nothing left to sweep
    assert len(mail.outbox) == 1


def test_the_beat_sweeper_sends_unsent_notifications(new_hit: Hit, settings: Any) -> None:
    notification = written(new_hit)
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    sweep_outbox()
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert len(mail.outbox) == 1


@pytest.fixture
def failing_mail(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    state = {"fail": True}

    def send_mail(**kwargs: Any) -> int:
        if state["fail"]:
            raise ConnectionRefusedError("mail server down")
        mail.outbox.append(mail.EmailMessage(kwargs["subject"], kwargs["message"], to=kwargs["recipient_list"]))
        return 1

    monkeypatch.setattr(outbox, "send_mail", send_mail)
    yield lambda fail: state.update(fail=fail)


def test_a_failed_send_stays_unsent_with_its_error_and_the_next_sweep_sends_it(
    new_hit: Hit, failing_mail: Callable[[bool], None]
) -> None:
    notification = written(new_hit)
    with pytest.raises(ConnectionRefusedError):
        outbox.send(notification.pk)
    notification.refresh_from_db()
    assert notification.sent_at is None
    assert (notification.attempts, notification.last_error) == (1, "ConnectionRefusedError: mail server down")
    failing_mail(False)
    later = timezone.now() + grace() + timedelta(seconds=1)
    assert outbox.sweep(now=later) == [notification.pk]
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.last_error == ""
    assert len(mail.outbox) == 1


def test_the_sweeper_gives_up_after_the_configured_attempts(
    new_hit: Hit, failing_mail: Callable[[bool], None], settings: Any
) -> None:
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    notification = written(new_hit)
    later = timezone.now() + grace() + timedelta(seconds=1)
    assert outbox.sweep(now=later) == [notification.pk]
    assert outbox.sweep(now=later) == [notification.pk]
    assert outbox.sweep(now=later) == []
    notification.refresh_from_db()
    assert notification.sent_at is None and notification.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_send_racing_another_that_holds_the_row_sends_nothing() -> None:
    # Written by hand: outside a test transaction, writing it would send it at once (after commit).
    notification = Notification.objects.create(
        key="race", subject="LR-1: new screening hit", body="...", recipients=["reviewer@example.com"]
    )
    locked, release = threading.Event(), threading.Event()

    def other_sender() -> None:
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_sender)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert outbox.send(notification.pk) is False
    finally:
        release.set()
        thread.join(timeout=10)
    assert not mail.outbox
    assert outbox.send(notification.pk) is True
    assert len(mail.outbox) == 1


@pytest.mark.worker
def test_an_email_committed_while_the_broker_was_down_is_sent_by_a_worker_once_swept(
    start_worker: Callable[..., Worker], redis_queue: Any, settings: Any
) -> None:
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    make_case(reviewer, applicant_email="")
    with broker_unreachable():
        list_entity()
        run_job(latest_job())  # the job commits its hits and its e-mail; handing the e-mail over fails
    notification = Notification.objects.get()
    assert notification.key.endswith(":reviewer@example.com")
    assert (notification.sent_at, notification.enqueued_at) == (None, None)
    assert redis_queue.llen("default") == 0

    start_worker()
    settings.NOTIFICATION_GRACE_SECONDS = 0
    assert outbox.sweep() == [notification.pk]

    def sent() -> bool:
        notification.refresh_from_db()
        return notification.sent_at is not None

    wait_for(sent, message="the worker to send the swept e-mail")
    assert notification.attempts == 1


def test_a_batch_goes_over_one_connection_and_one_failure_does_not_stop_the_rest(
    new_hit: Hit, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = written(new_hit)
    # Two more e-mails for other units of work on the same case.
    more = [
        Notification.objects.create(key=f"other:{i}", subject=f"s{i}", body="b", recipients=["a@example.com"])
        for i in range(2)
    ]
    opened: list[Any] = []
    real = outbox.get_connection

    def counting_connection(*args: Any, **kwargs: Any) -> Any:
        opened.append(1)
        return real(*args, **kwargs)

    real_send_mail = outbox.send_mail

    def failing_for_the_second(*args: Any, **kwargs: Any) -> int:
        if kwargs.get("subject") == "s0":
            raise Boom("mail server said no")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(outbox, "get_connection", counting_connection)
    monkeypatch.setattr(outbox, "send_mail", failing_for_the_second)

    assert outbox.send_many([first.pk, more[0].pk, more[1].pk]) == 2

    assert len(opened) == 1
    assert sorted(m.subject for m in mail.outbox) == sorted([first.subject, "s1"])
    failed = Notification.objects.get(pk=more[0].pk)
    assert failed.sent_at is None and failed.attempts == 1 and "mail server said no" in failed.last_error
