"""Receivers that turn list and configuration changes into re-screen jobs (the outbox rows)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from compliance.models import ScreeningConfig
from entities.models import ListVersion
from entities.services import list_version_recorded


@receiver(list_version_recorded, dispatch_uid="compliance.rescreen_on_list_change")
def rescreen_on_list_change(sender: Any, version: ListVersion, **kwargs: Any) -> None:
    # Sent inside the list change's transaction: the job commits (or rolls back) with it.
    from compliance.rescreen import record_version_job

    record_version_job(version)


@receiver(pre_save, sender=ScreeningConfig, dispatch_uid="compliance.remember_screening_config")
def remember_screening_config(sender: Any, instance: ScreeningConfig, **kwargs: Any) -> None:
    previous = ScreeningConfig.objects.filter(pk=instance.pk).values("threshold", "matcher_version").first()
    instance._previous_screening = previous  # type: ignore[attr-defined]


@receiver(post_save, sender=ScreeningConfig, dispatch_uid="compliance.rescreen_on_config_change")
def rescreen_on_config_change(sender: Any, instance: ScreeningConfig, created: bool, **kwargs: Any) -> None:
    """A new threshold or matcher changes what counts as a hit: every open case is screened again."""
    from compliance.rescreen import request_full_rescreen

    previous = getattr(instance, "_previous_screening", None)
    if created or previous is None:
        return
    changed = []
    if previous["threshold"] != instance.threshold:
        changed.append(f"threshold {previous['threshold']:.2f} -> {instance.threshold:.2f}")
    if previous["matcher_version"] != instance.matcher_version:
        changed.append(f"matcher {previous['matcher_version']} -> {instance.matcher_version}")
    if changed:
        reason = getattr(instance, "_change_reason", "") or ""
        request_full_rescreen(
            actor=getattr(instance, "_history_user", None),
            reason="Screening changed (" + ", ".join(changed) + ")" + (f": {reason}" if reason else ""),
        )
