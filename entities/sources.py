"""Fetch the official lists on schedule and import each changed file as one list version.

Beat runs `fetch_due_sources` every minute; each due source is fetched with a conditional
request (ETag, Last-Modified), within a size and time limit, and its SHA-256 recorded. An
unchanged file (304, or the same checksum) records nothing. A changed one is imported through
`import_list` as the system user, so the version, its history and the re-screen that follows are
those of any import.

Nothing is imported from a fetch that fails, a file that does not parse, or one that would
delist more than the source's `max_removed_share` of its listed entries: a truncated download
looks exactly like a mass delisting, and delisting a party by mistake silently stops its hits.
The source shows the error, admins are e-mailed through the outbox, and an admin can approve
that one file (`approve_held`), which the next fetch then imports.
"""

from __future__ import annotations

import hashlib
import http.client
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from entities.importers import ImportFormatError, import_list
from entities.models import Entity, ListSource
from lib import outbox
from lib.history import attribute
from lib.roles import Role
from lib.users import system_user

CHUNK = 64 * 1024


class FetchError(Exception):
    """A source that could not be fetched or imported; the message is shown to admins."""


def fetch_due_sources() -> list[int]:
    """Fetch every enabled source whose schedule is due; returns their ids."""
    now = timezone.now()
    due = [source.pk for source in ListSource.objects.filter(enabled=True) if source.is_due(now)]
    for source_id in due:
        fetch_source(source_id=source_id)
    return due


def fetch_source(*, source_id: int, actor: User | None = None) -> ListSource:
    """Fetch one source and import its file if it changed (see the module docstring)."""
    actor = actor or system_user()
    source = ListSource.objects.get(pk=source_id)
    with tempfile.TemporaryDirectory(prefix="clearance-source-") as folder:
        path = Path(folder) / f"{source.pk}.{'json' if source.fmt == ListSource.Format.CSL_JSON else 'csv'}"
        try:
            fetched = _download(source, path)
            if fetched is None or fetched[0] == source.checksum:
                return _record(source, actor, status=ListSource.Status.UNCHANGED, headers=fetched)
            _import(source, path, actor=actor, checksum=fetched[0], headers=fetched)
        except FetchError as exc:
            return _fail(source, actor, str(exc))
    source.refresh_from_db()
    return source


def approve_held(*, source: ListSource, actor: User) -> ListSource:
    """Let the next fetch import the held file (only that file: its checksum is what is approved)."""
    if source.status != ListSource.Status.HELD or not source.held_checksum:
        raise FetchError("Nothing is held for approval.")
    source.approved_checksum = source.held_checksum
    # The held file was never recorded as fetched: ask for it unconditionally next time.
    source.etag = source.last_modified = ""
    attribute(source, actor, f"Approved the held file {source.held_checksum[:12]}")
    source.save(update_fields=["approved_checksum", "etag", "last_modified"])
    return source


def _download(source: ListSource, path: Path) -> tuple[str, str, str] | None:
    """The file into `path`: (sha256, etag, last-modified), or None when the server says 304."""
    # Only the web: a file: or ftp: URL typed in the admin must not read the server's own disk.
    if urllib.parse.urlsplit(source.url).scheme not in {"http", "https"}:
        raise FetchError("Only http and https URLs can be fetched.")
    request = urllib.request.Request(source.url, headers={"User-Agent": "Clearance list fetcher"})  # noqa: S310
    if source.etag:
        request.add_header("If-None-Match", source.etag)
    if source.last_modified:
        request.add_header("If-Modified-Since", source.last_modified)
    limit = settings.LIST_SOURCE_MAX_BYTES
    # The socket timeout bounds each read; a server trickling bytes needs a bound on the whole.
    deadline = time.monotonic() + settings.LIST_SOURCE_TIMEOUT_SECONDS
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=settings.LIST_SOURCE_TIMEOUT_SECONDS) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise FetchError(f"The file is {int(declared):,} bytes, over the limit of {limit:,} bytes.")
            with path.open("wb") as out:
                while chunk := response.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(f"The file is over the limit of {limit:,} bytes.")
                    if time.monotonic() > deadline:
                        raise FetchError(
                            f"The download took over {settings.LIST_SOURCE_TIMEOUT_SECONDS} s and was abandoned."
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if declared and declared.isdigit() and size < int(declared):
                raise FetchError(f"The download stopped after {size:,} of {int(declared):,} bytes.")
            etag = response.headers.get("ETag", "")
            modified = response.headers.get("Last-Modified", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise FetchError(f"The server answered {exc.code} {exc.reason}.") from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"The download stopped after {len(exc.partial):,} bytes; is the file truncated?") from None
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"The file could not be fetched ({reason}).") from None
    return digest.hexdigest(), etag, modified


def _import(source: ListSource, path: Path, *, actor: User, checksum: str, headers: tuple[str, str, str]) -> None:
    label = f"{source.name} ({source.url})"
    try:
        preview = import_list(actor=actor, path=path, fmt=source.fmt, dry_run=True, display_name=label)
    except ImportFormatError as exc:
        raise FetchError(f"The file could not be imported: {exc.problem}") from None
    listed = Entity.objects.active().filter(source__in=preview.sources).count()
    if listed and preview.removed > source.max_removed_share * listed and checksum != source.approved_checksum:
        with transaction.atomic():
            source.held_checksum = checksum
            _fail(
                source,
                actor,
                f"Held: the file would delist {preview.removed:,} of {listed:,} listed entries "
                f"({preview.removed / listed:.0%}, over {source.max_removed_share:.0%}). "
                "A truncated download looks like this; an admin can approve this file by hand.",
                status=ListSource.Status.HELD,
            )
        return
    with transaction.atomic():
        result = import_list(actor=actor, path=path, fmt=source.fmt, display_name=label)
        source.last_version_number = result.version_number or source.last_version_number
        source.checksum = checksum
        source.held_checksum = source.approved_checksum = ""
        _record(source, actor, status=ListSource.Status.IMPORTED, headers=headers)


def _record(
    source: ListSource, actor: User, *, status: str, headers: tuple[str, str, str] | None, error: str = ""
) -> ListSource:
    source.status = status
    source.error = error
    source.last_checked_at = timezone.now()
    if headers is not None:
        _, source.etag, source.last_modified = headers
    attribute(source, actor, f"Fetch: {status}")
    source.save()
    return source


def _fail(source: ListSource, actor: User, error: str, *, status: str = ListSource.Status.FAILED) -> ListSource:
    """Record the failure and e-mail the admins and the source's own addresses, once per error."""
    with transaction.atomic():
        _record(source, actor, status=status, headers=None, error=error)
        recipients = outbox.addresses_of(Role.COMPLIANCE_ADMIN) + [
            line.strip() for line in source.notify.splitlines() if line.strip()
        ]
        outbox.write(
            [
                outbox.Email(
                    key=f"list-source:{source.pk}:{hashlib.sha256(error.encode()).hexdigest()[:16]}",
                    subject=f"List source {source.name}: {source.get_status_display().lower()}",
                    body=f"{source.name} ({source.url})\n\n{error}\n\nNothing was imported.",
                    recipients=recipients,
                )
            ]
        )
    return source
