from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_screening_indexes() -> Iterator[None]:
    # The screening index is cached per process by list version number; every test starts the
    # numbering again at 1 in its own transaction, so a cached index would hold another test's list.
    from compliance import index, rescreen

    index.reset_index()
    rescreen.reset_party_index()
    yield
    index.reset_index()
    rescreen.reset_party_index()
