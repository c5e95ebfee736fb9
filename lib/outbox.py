"""The e-mail outbox: every e-mail the product sends is written here first, then sent by a worker.

An e-mail must not be lost when a worker dies right after the change that gives cause to send
it commits, and must not be sent when that change rolls back. So it is written as a
`Notification` row in the same transaction as the change, handed to Celery after commit, and
marked sent in the transaction that sends it, with the row locked: a task delivered twice, or
racing a sweep, finds it locked or sent and does nothing. Rows whose task never ran (the broker
was down, the worker was killed, the message was lost) are handed over again by the beat sweeper.

The one case that can still send twice is a worker killed after the mail server accepted the
e-mail and before the row committed as sent: for a compliance alert, twice is better than never.

Every app writes through `write`: hit alerts and decisions (licensing), failed re-screens
(compliance), failed list fetches (entities).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lib.models import Notification
from lib.roles import Role

log = logging.getLogger(__name__)

# E-mails handed to one task: one mail-server connection serves them all.
SEND_BATCH = 100


@dataclass(frozen=True)
class Email:
    """One e-mail to write. `key` names what it is about: writing the same key again is a no-op."""

    key: str
    subject: str
    body: str
    recipients: Sequence[str]


def addresses_of(*roles: Role) -> list[str]:
    """The e-mail addresses of active users holding any of `roles`."""
    users = get_user_model().objects.filter(groups__name__in=[r.value for r in roles], is_active=True)
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def write(emails: Iterable[Email]) -> list[Notification]:
    """Write e-mails in the caller's transaction; each is sent after that transaction commits.

    One statement for all of them. An e-mail without recipients is dropped; a key written
    before (the same unit of work run again) keeps its first row, which is returned.
    """
    drafts = [
        Notification(key=e.key[:200], subject=e.subject[:255], body=e.body, recipients=sorted(set(e.recipients)))
        for e in emails
        if e.recipients
    ]
    if not drafts:
        return []
    Notification.objects.bulk_create(drafts, ignore_conflicts=True)
    written = list(Notification.objects.filter(key__in=[d.key for d in drafts]).order_by("pk"))
    ids = [n.pk for n in written if n.sent_at is None]
    transaction.on_commit(lambda: enqueue_many(ids))
    return written


def enqueue_many(notification_ids: Sequence[int]) -> list[int]:
    """Hand e-mails to Celery in batches; returns those handed over. The rest wait for the sweeper."""
    from lib.tasks import send_notifications

    sent: list[int] = []
    for start in range(0, len(notification_ids), SEND_BATCH):
        batch = list(notification_ids[start : start + SEND_BATCH])
        try:
            # No publish retries: a request must not hang on a dead broker, the sweeper retries.
            send_notifications.apply_async((batch,), retry=False)
        except Exception:
            log.warning("Could not hand e-mails %s to a worker; the sweeper will retry", batch, exc_info=True)
            break
        sent.extend(batch)
    if sent:
        Notification.objects.filter(pk__in=sent, sent_at__isnull=True).update(enqueued_at=timezone.now())
    return sent


def send(notification_id: int, *, connection: BaseEmailBackend | None = None) -> bool:
    """Send one e-mail unless it is sent or being sent; True if this call sent it.

    The row stays locked while the mail server is talked to, so a concurrent run skips it; a
    failure rolls the claim back (the row stays unsent), counts the attempt and re-raises.
    """
    try:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(pk=notification_id, sent_at__isnull=True)
                .first()
            )
            if notification is None:
                return False
            send_mail(
                subject=notification.subject,
                message=notification.body,
                from_email=None,
                recipient_list=list(notification.recipients),
                connection=connection,
            )
            notification.sent_at = timezone.now()
            notification.attempts += 1
            notification.last_error = ""
            notification.save(update_fields=["sent_at", "attempts", "last_error"])
    except Exception as exc:
        Notification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return True


def send_many(notification_ids: Sequence[int]) -> int:
    """Send each e-mail as `send` would, over one mail-server connection; returns how many were sent.

    A re-screen can raise thousands of e-mails, and Django opens a connection per `send_mail`
    otherwise. One that fails is counted on its row and left to the sweeper; the rest still go.
    """
    sent = 0
    with get_connection() as connection:
        for notification_id in notification_ids:
            try:
                sent += send(notification_id, connection=connection)
            except Exception:
                log.warning("E-mail %s was not sent; the sweeper will retry", notification_id, exc_info=True)
    return sent


def sweep(*, now: datetime | None = None) -> list[int]:
    """Hand over again the e-mails whose task never ran or died; returns their ids. Run by beat.

    An e-mail is left alone after NOTIFICATION_MAX_ATTEMPTS failed sends (the row keeps its error).
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATION_GRACE_SECONDS)
    ids = list(
        Notification.objects.needing_send(enqueued_before=now - grace, max_attempts=settings.NOTIFICATION_MAX_ATTEMPTS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    enqueue_many(ids)
    return ids
