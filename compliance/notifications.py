"""E-mails about screening, sent through an outbox so that none is lost or sent twice.

A re-screen that finds new hits must tell the applicant and the reviewers, even if the worker
dies right after the hits commit. So the e-mail is written as a `Notification` row in the same
transaction as the hits (a rolled-back chunk leaves neither), handed to Celery after commit, and
marked sent in the transaction that sends it, with the row locked: a task delivered twice, or
racing a sweep, finds it locked or sent and does nothing. Rows whose task never ran (the broker
was down, the worker was killed, the message was lost) are handed over again by the beat sweeper.

The one case that can still send twice is a worker killed after the mail server accepted the
e-mail and before the row committed as sent: for a compliance alert, twice is better than never.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance.models import Hit, Notification
from lib.roles import Role

log = logging.getLogger(__name__)


def send_grace() -> timedelta:
    """How long an unsent e-mail may wait for its task before the sweeper sends it again."""
    return timedelta(seconds=int(getattr(settings, "NOTIFICATION_GRACE_SECONDS", 60)))


def max_attempts() -> int:
    """Failed sends after which the sweeper stops trying (the row and its error stay for an admin)."""
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 20))


def record_new_hits(hit_ids: Sequence[int], *, key: str) -> list[Notification]:
    """Write one e-mail per case about its new hits; each is sent after the transaction commits.

    Must run inside the transaction that recorded the hits. `key` names the unit of work (a
    re-screen chunk): writing the same case's e-mail for the same key again returns the first row.
    """
    if not hit_ids:
        return []
    reviewers = list(
        get_user_model()
        .objects.filter(groups__name=Role.REVIEWER.value, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    hits = Hit.objects.filter(pk__in=hit_ids).select_related("party__application__applicant", "entity")
    by_case: dict[int, list[Hit]] = {}
    for hit in hits:
        by_case.setdefault(hit.party.application_id, []).append(hit)
    drafts: list[Notification] = []
    for application_id, case_hits in sorted(by_case.items()):
        application = case_hits[0].party.application
        lines = [
            f"Re-screening found {len(case_hits)} new hit(s) on {application.reference}; "
            "it is on hold until a reviewer has looked.",
            "",
            *(
                f"- {h.party.name} ({h.party.get_role_display()}) matches {h.entity.name} [{h.entity.source}], "
                f"score {h.score:.2f}, list version {h.list_version}"
                for h in case_hits
            ),
        ]
        recipients = sorted({*reviewers, *([application.applicant.email] if application.applicant.email else [])})
        if not recipients:
            continue
        drafts.append(
            Notification(
                key=f"new-hits:{key}:application-{application_id}",
                application=application,
                subject=f"{application.reference}: new screening hit",
                body="\n".join(lines),
                recipients=recipients,
            )
        )
    # One statement for a chunk's e-mails; a key written before (the same unit of work again)
    # keeps its first row.
    Notification.objects.bulk_create(drafts, ignore_conflicts=True)
    written = list(Notification.objects.filter(key__in=[d.key for d in drafts]).order_by("pk"))
    ids = [n.pk for n in written if n.sent_at is None]
    transaction.on_commit(lambda: enqueue_many(ids))
    return written


def enqueue(notification_id: int) -> bool:
    """Hand an e-mail to Celery; a broker that is down (or a failed send) leaves it to the sweeper."""
    return bool(enqueue_many([notification_id]))


# E-mails handed to one task: one mail-server connection serves them all.
SEND_BATCH = 100


def enqueue_many(notification_ids: Sequence[int]) -> list[int]:
    """Hand e-mails to Celery in batches; returns those handed over. The rest wait for the sweeper."""
    from compliance.tasks import send_notifications

    sent: list[int] = []
    for start in range(0, len(notification_ids), SEND_BATCH):
        batch = list(notification_ids[start : start + SEND_BATCH])
        try:
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
    """Hand over again the e-mails whose task never ran or died; returns their ids. Run by beat."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.needing_send(enqueued_before=now - send_grace(), max_attempts=max_attempts())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    enqueue_many(ids)
    return ids
