"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clearance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_screening_indexes(**kwargs: Any) -> None:
    # Each pool process builds its indexes before it takes a job, not inside the first one.
    from compliance.warm import warm_up

    warm_up()
