"""Screening services: one name, a batch of names, and the threshold that decides a hit.

The CLI, the API, the pages and the batch task all call these functions, so every result is
stamped the same way with the list version and the threshold it was made against.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from compliance.index import get_index
from compliance.matcher import Index, Match, Person
from compliance.models import BatchScreening, ScreeningConfig
from compliance.normalise import has_visible_letters
from compliance.validators import VISIBLE_NAME_MESSAGE
from entities.models import Entity
from lib.csv_export import safe_cell
from lib.progress import progress_item

MAX_LIMIT = 100
# The longest name screened, one at a time or in a batch.
MAX_NAME_LENGTH = 500
# Batches up to this size are answered in the request; larger ones run as a task with progress.
INLINE_BATCH_ROWS = 500
MAX_BATCH_ROWS = 100_000
# Progress is written every this many rows: often enough for a progress bar, rarely enough
# that the row updates cost nothing next to the screening.
PROGRESS_EVERY = 100

RESULT_COLUMNS = (
    "row",
    "name",
    "country",
    "entity_id",
    "entity_name",
    "matched_name",
    "source",
    "score",
    "list_version",
    "threshold",
)


@dataclass(frozen=True)
class ScreeningResult:
    """Matches for one name, stamped with the list version and threshold used."""

    name: str
    country: str | None
    list_version: int | None
    threshold: float
    matches: list[Match] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_version": self.list_version,
            "threshold": self.threshold,
            "query": {"name": self.name, "country": self.country},
            "matches": [m.as_dict() for m in self.matches],
        }


def current_threshold() -> float:
    return ScreeningConfig.load().threshold


def screen_name(
    name: str,
    *,
    country: str | None = None,
    limit: int = 10,
    threshold: float | None = None,
) -> ScreeningResult:
    """Screen one name against the current list; matches at or above threshold, best first."""
    index = get_index()
    used = current_threshold() if threshold is None else threshold
    country = (country or "").strip().upper() or None
    limit = max(1, min(limit, MAX_LIMIT))
    matches = index.search(name, country=country, threshold=used, limit=limit)
    return ScreeningResult(name=name, country=country, list_version=index.version, threshold=used, matches=matches)


class Screenable(Protocol):
    """Anything with a name, a country and an address (and, for a person, person evidence):
    a party, a re-screen subject."""

    @property
    def name(self) -> str: ...

    @property
    def country(self) -> str: ...

    @property
    def address(self) -> str: ...

    @property
    def person(self) -> Person | None: ...


S = TypeVar("S", bound=Screenable)


def search_subjects(subjects: Iterable[S], index: Index, *, threshold: float) -> list[tuple[S, list[Match]]]:
    """Each subject's matches in `index`: the one call submit-time screening and re-screening
    make, so a re-screen finds exactly what screening the case afresh would."""
    return [
        (
            subject,
            index.search(
                subject.name,
                country=subject.country or None,
                address=subject.address or None,
                threshold=threshold,
                limit=10,
                person=subject.person,
            ),
        )
        for subject in subjects
    ]


def entity_details(keys: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What a screener needs to see beside each match: licence requirement and review policy."""
    rows = Entity.objects.filter(pk__in=keys).values(
        "pk", "source", "license_requirement", "license_policy", "license_policy_text", "federal_register_notice"
    )
    labels = dict(Entity._meta.get_field("license_policy").choices or [])
    return {
        row["pk"]: {
            **row,
            "license_policy_label": labels.get(row["license_policy"], row["license_policy"]),
        }
        for row in rows
    }


@transaction.atomic
def set_threshold(*, actor: AbstractBaseUser | AnonymousUser | None, threshold: float, reason: str) -> ScreeningConfig:
    """Change the screening threshold; the history row records who changed it and why.

    Results already stamped keep their own threshold: a change only affects screening from now on.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("The threshold is a score between 0 and 1.")
    if not reason.strip():
        raise ValueError("Say why the threshold changes: auditors read this.")
    config = ScreeningConfig.objects.select_for_update().filter(pk=1).first() or ScreeningConfig.load()
    config.threshold = threshold
    config._history_user = actor  # type: ignore[attr-defined]
    config._change_reason = reason.strip()  # type: ignore[attr-defined]
    config.save()
    return config


MAX_CLEARANCE_REVIEW_DAYS = 3650


@transaction.atomic
def set_clearance_policy(
    *, actor: AbstractBaseUser | AnonymousUser | None, review_days: int, remember_under_denial: bool, reason: str
) -> ScreeningConfig:
    """How long a remembered clearance stands, and whether one may be made under a denial policy.

    Clearances already remembered keep their review date: the period applies to new ones. The
    history row records who changed it and why.
    """
    if not 1 <= review_days <= MAX_CLEARANCE_REVIEW_DAYS:
        raise ValueError(f"A review period is from 1 to {MAX_CLEARANCE_REVIEW_DAYS} days.")
    if not reason.strip():
        raise ValueError("Say why the clearance settings change: auditors read this.")
    config = ScreeningConfig.objects.select_for_update().filter(pk=1).first() or ScreeningConfig.load()
    config.clearance_review_days = review_days
    config.remember_under_denial = remember_under_denial
    config._history_user = actor  # type: ignore[attr-defined]
    config._change_reason = reason.strip()  # type: ignore[attr-defined]
    config.save()
    return config


def parse_names_csv(text: str) -> list[tuple[str, str | None]]:
    """(name, country) rows from a CSV with a `name` column (and optional `country`).

    A file without a header row is read as name[,country] per line, as spreadsheets often export.
    """
    text = text.lstrip("\ufeff")
    try:
        # newline="": a carriage return inside a quoted cell is the cell's, as spreadsheets write it.
        sample = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValueError(f"The file is not a CSV this can read ({exc}).") from None
    if not sample:
        return []
    header = [cell.strip().lower() for cell in sample[0]]
    if "name" in header:
        name_col = header.index("name")
        country_col = header.index("country") if "country" in header else None
        body = sample[1:]
    else:
        name_col, country_col, body = 0, (1 if len(sample[0]) > 1 else None), sample
    rows: list[tuple[str, str | None]] = []
    for number, row in enumerate(body, start=1):
        name = row[name_col].strip() if name_col < len(row) else ""
        country = row[country_col].strip().upper() if country_col is not None and country_col < len(row) else ""
        if len(name) > MAX_NAME_LENGTH:
            # The same limit as screening one name: a longer "name" is a pasted document, not a party.
            raise ValueError(f"Row {number}: a name has at most {MAX_NAME_LENGTH} characters (this one {len(name):,}).")
        if name and not has_visible_letters(name):
            raise ValueError(f"Row {number}: {VISIBLE_NAME_MESSAGE}")
        if name:
            rows.append((name, country or None))
    if len(rows) > MAX_BATCH_ROWS:
        raise ValueError(f"At most {MAX_BATCH_ROWS:,} names per batch.")
    return rows


def _result_rows(
    number: int, name: str, country: str | None, matches: list[Match], version: int | None, threshold: float
) -> list[list[str]]:
    """One line per match (or one if clean), every cell safe to open in a spreadsheet: the names
    screened and the listed names alike may start with a formula prefix."""
    if not matches:
        rows: list[list[Any]] = [[number, name, country or "", "", "", "", "", "", version, threshold]]
    else:
        rows = [
            [number, name, country or "", m.key, m.name, m.matched_name, m.source, m.score, version, threshold]
            for m in matches
        ]
    return [[safe_cell(value) for value in row] for row in rows]


def screen_rows_csv(rows: Sequence[tuple[str, str | None]], *, limit: int = 5) -> str:
    """Screen rows in one go and return the result CSV (one line per match, or one if clean)."""
    index = get_index()
    threshold = current_threshold()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    for number, ((name, country), matches) in enumerate(
        zip(rows, index.search_many(rows, threshold=threshold, limit=limit), strict=True), start=1
    ):
        writer.writerows(_result_rows(number, name, country, matches, index.version, threshold))
    return out.getvalue()


def create_batch(*, actor: User, csv_text: str, filename: str = "") -> BatchScreening:
    """Record an uploaded batch and queue it; the task starts once the row is committed."""
    from compliance.tasks import run_batch_screening

    rows = parse_names_csv(csv_text)
    if not rows:
        raise ValueError("The file has no names: give a CSV with a 'name' column.")
    batch = BatchScreening.objects.create(
        created_by=actor, filename=filename[:255], input_csv=csv_text, total=len(rows)
    )
    transaction.on_commit(lambda: run_batch_screening.delay(batch.pk))
    return batch


def run_batch(batch_id: int, *, limit: int = 5) -> BatchScreening:
    """Screen a recorded batch, writing progress as it goes. Running it again redoes it whole."""
    batch = BatchScreening.objects.get(pk=batch_id)
    if batch.status == BatchScreening.Status.DONE:
        return batch
    rows = parse_names_csv(batch.input_csv)
    index = get_index()
    threshold = current_threshold()
    BatchScreening.objects.filter(pk=batch.pk).update(
        status=BatchScreening.Status.RUNNING,
        total=len(rows),
        processed=0,
        list_version=index.version,
        threshold=threshold,
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS)
    hits = 0
    try:
        for start in range(0, len(rows), PROGRESS_EVERY):
            chunk = rows[start : start + PROGRESS_EVERY]
            for offset, ((name, country), matches) in enumerate(
                zip(chunk, index.search_many(chunk, threshold=threshold, limit=limit), strict=True)
            ):
                hits += bool(matches)
                writer.writerows(_result_rows(start + offset + 1, name, country, matches, index.version, threshold))
            BatchScreening.objects.filter(pk=batch.pk).update(processed=start + len(chunk), hits=hits)
    except Exception as exc:
        BatchScreening.objects.filter(pk=batch.pk).update(
            status=BatchScreening.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    BatchScreening.objects.filter(pk=batch.pk).update(
        status=BatchScreening.Status.DONE,
        processed=len(rows),
        hits=hits,
        result_csv=out.getvalue(),
        finished_at=timezone.now(),
    )
    batch.refresh_from_db()
    return batch


def batch_progress(batch: BatchScreening) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "status": batch.status,
        "total": batch.total,
        "processed": batch.processed,
        "percent": batch.percent,
        "hits": batch.hits,
        "list_version": batch.list_version,
        "threshold": batch.threshold,
        "error": batch.error,
    }


def batch_progress_item(batch: BatchScreening) -> dict[str, Any]:
    """The batch page's progress bar and its sentence (static/js/progress.js)."""
    finished = batch.status in (BatchScreening.Status.DONE, BatchScreening.Status.FAILED)
    state = f"{batch.get_status_display()}: {batch.processed} of {batch.total} screened, {batch.hits} with hits."
    return progress_item(batch.pk, percent=batch.percent, finished=finished, state=state)


def explanation_json(match: Match) -> str:
    return json.dumps(match.explanation, ensure_ascii=False, indent=2)
