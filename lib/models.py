"""Models shared by every app: the e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from django.db import models


class NotificationQuerySet(models.QuerySet["Notification"]):
    def needing_send(self, *, enqueued_before: datetime, max_attempts: int) -> NotificationQuerySet:
        """Unsent e-mails the sweeper must hand to a worker again.

        Never enqueued (the broker was down at commit) or enqueued longer ago than a send takes
        (the worker died between commit and send, or the message was lost with Redis).
        """
        return self.filter(
            models.Q(enqueued_at__isnull=True) | models.Q(enqueued_at__lt=enqueued_before),
            sent_at__isnull=True,
            created_at__lt=enqueued_before,
            attempts__lt=max_attempts,
        )


class Notification(models.Model):
    """An e-mail outbox row, written in the transaction that gives cause to send it.

    A rolled-back transaction leaves no row, so nothing is sent; a committed one is sent by a
    task enqueued after commit, or by the sweeper if that task never ran. `sent_at` is set in the
    transaction that holds the row's lock while sending, so a second run of the task finds it
    sent and sends nothing. `key` says what the e-mail is about; a second write of the same
    e-mail (a chunk run twice) is the same row.
    """

    key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subject} ({'sent' if self.sent_at else 'unsent'})"
