"""A worker process builds its screening indexes as it starts, so its first job does not wait."""

from __future__ import annotations

import pytest
from celery.signals import worker_process_init

from compliance import index
from compliance.rescreen import party_index as parties
from entities.models import ListVersion
from tests.factories import make_entity

pytestmark = pytest.mark.django_db


def test_a_starting_worker_process_builds_the_list_and_party_indexes() -> None:
    make_entity("Huawei Technologies Co., Ltd.", country="CN")
    assert index._index is None and parties._party_index is None

    worker_process_init.send(sender=None)

    assert index._index is not None
    assert index._index.version == ListVersion.current_number()
    assert [c.name for c in index._index.candidates] == ["Huawei Technologies Co., Ltd."]
    assert parties._party_index is not None


def test_a_failure_to_build_them_leaves_the_worker_running(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("database not migrated")

    monkeypatch.setattr("compliance.warm.get_index", broken)

    worker_process_init.send(sender=None)

    assert index._index is None
