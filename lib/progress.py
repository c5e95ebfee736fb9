"""What the pages' progress bars poll (static/js/progress.js): one shape for every kind of job."""

from __future__ import annotations

from typing import Any


def progress_item(item_id: int | str, *, percent: int | None, finished: bool, **texts: str) -> dict[str, Any]:
    """One job's progress: its percent (None while unknown), whether it is over, and the texts
    its page shows, by the name of the element that shows each (`data-progress-text`)."""
    return {"id": item_id, "percent": percent, "finished": finished, "texts": texts}
