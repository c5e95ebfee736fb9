"""Licensing's scheduled tasks: thin shells on the default queue."""

from __future__ import annotations

from celery import shared_task

from lib.users import system_user
from licensing import licences, services


@shared_task(name="licensing.tasks.expire_licences")
def expire_licences() -> int:
    """Beat, daily: licences past their validity stop being open cases (and stop being usable)."""
    return len(services.expire_licences(actor=system_user()))


@shared_task(name="licensing.tasks.remind_open_questions")
def remind_open_questions() -> int:
    """Beat, daily: remind applicants of questions unanswered for the configured working days."""
    return len(services.remind_unanswered_questions(actor=system_user()))


@shared_task(name="licensing.tasks.remind_expiring_licences")
def remind_expiring_licences() -> int:
    """Beat, daily: remind holders of licences that expire within the configured number of days."""
    return len(licences.remind_expiring())
