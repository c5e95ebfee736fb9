"""Refusals every app raises, mapped one way in pages and the API."""

from __future__ import annotations


class Conflict(Exception):
    """A move the record's current state does not allow (an illegal transition, a request already
    decided, a job that cannot be retried): a 409 in the API, a message on the page. The message
    is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
