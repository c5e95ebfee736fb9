"""Scheduled fetches of the official lists, against a local HTTP server started by each test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from entities import sources
from entities.models import Entity, ListSource, ListVersion
from lib.models import Notification
from lib.users import system_user
from tests.entities.import_helpers import BASE_ROWS, csl_row, write_csl_csv

pytestmark = pytest.mark.django_db


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    etag: str = ""
    delay: float = 0.0
    # Announce more bytes than are sent, then hang up: a download cut short.
    truncate: bool = False


@dataclass
class Server:
    url: str
    reply: Reply = field(default_factory=Reply)
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = state.reply
            state.requests.append(dict(self.headers))
            time.sleep(reply.delay)
            if reply.etag and self.headers.get("If-None-Match") == reply.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(reply.status)
            if reply.etag:
                self.send_header("ETag", reply.etag)
            self.send_header("Content-Length", str(len(reply.body) * (2 if reply.truncate else 1)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/consolidated.csv"
    yield state
    httpd.shutdown()
    httpd.server_close()


def csv_bytes(tmp_path: Path, rows: list[dict[str, str]]) -> bytes:
    return write_csl_csv(tmp_path / "file.csv", rows).read_bytes()


def make_source(server: Server, **kwargs: object) -> ListSource:
    return ListSource.objects.create(name="CSL", url=server.url, fmt=ListSource.Format.CSL_CSV, **kwargs)


def alerts() -> list[Notification]:
    return list(Notification.objects.filter(key__startswith="list-source:"))


def test_a_changed_file_is_imported_as_one_version_by_the_system_user_and_a_304_records_nothing(
    tmp_path: Path, server: Server, compliance_admin: User
) -> None:
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS), etag='"v1"')
    source = make_source(server)

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.IMPORTED
    version = ListVersion.objects.get()
    assert (version.created_by, version.added_count) == (system_user(), 4)
    assert source.last_version_number == version.number
    assert source.etag == '"v1"' and len(source.checksum) == 64

    source = sources.fetch_source(source_id=source.pk)

    assert server.requests[-1]["If-None-Match"] == '"v1"'
    assert source.status == ListSource.Status.UNCHANGED
    assert ListVersion.objects.count() == 1
    assert alerts() == []


def test_the_same_file_again_without_validators_is_recognised_by_its_checksum(
    tmp_path: Path, server: Server, compliance_admin: User
) -> None:
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS))
    source = make_source(server)
    sources.fetch_source(source_id=source.pk)

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.UNCHANGED
    assert ListVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(status=500, body=b"oops"), "The server answered 500"),
        (Reply(body=b"_id,source,name\n1,Nowhere list (XX),Acme\n"), "could not be imported"),
    ],
    ids=["server error", "unparsable file"],
)
def test_a_failed_fetch_changes_nothing_shows_the_error_and_emails_the_admins(
    server: Server, compliance_admin: User, reply: Reply, error: str
) -> None:
    server.reply = reply
    source = make_source(server, notify="lists@example.com")

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.FAILED
    assert error in source.error
    assert ListVersion.objects.count() == 0
    [alert] = alerts()
    assert alert.recipients == ["lists@example.com", "u@example.com"]
    assert error in alert.body


def test_a_truncated_download_is_refused(tmp_path: Path, server: Server, compliance_admin: User) -> None:
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS), truncate=True)
    source = make_source(server)

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.FAILED
    assert "truncated" in source.error or "stopped after" in source.error
    assert ListVersion.objects.count() == 0
    assert len(alerts()) == 1


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, server: Server, compliance_admin: User, settings: Any
) -> None:
    settings.LIST_SOURCE_MAX_BYTES = 100
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS))
    source = make_source(server)

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.FAILED
    assert "over the limit of 100 bytes" in source.error
    assert ListVersion.objects.count() == 0


def test_a_server_slower_than_the_time_limit_is_abandoned(
    tmp_path: Path, server: Server, compliance_admin: User, settings: Any
) -> None:
    settings.LIST_SOURCE_TIMEOUT_SECONDS = 1
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS), delay=3)
    source = make_source(server)

    started = time.monotonic()
    source = sources.fetch_source(source_id=source.pk)

    assert time.monotonic() - started < 3
    assert source.status == ListSource.Status.FAILED
    assert "could not be fetched" in source.error
    assert ListVersion.objects.count() == 0


def test_a_file_that_would_delist_too_much_is_held_until_an_admin_approves_it(
    tmp_path: Path, server: Server, compliance_admin: User
) -> None:
    rows = [*BASE_ROWS, *(csl_row(f"Front Company {n}", addresses="Minsk, BY") for n in range(6))]
    server.reply = Reply(body=csv_bytes(tmp_path, rows))
    source = make_source(server)
    sources.fetch_source(source_id=source.pk)
    listed = Entity.objects.active().count()

    # The EL part of the file lost most of its rows, as a truncated download would.
    server.reply = Reply(body=csv_bytes(tmp_path, rows[:3]))
    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.HELD
    assert "would delist" in source.error
    assert Entity.objects.active().count() == listed
    assert ListVersion.objects.count() == 1
    assert len(alerts()) == 1

    sources.approve_held(source=source, actor=compliance_admin)
    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.IMPORTED
    assert ListVersion.objects.count() == 2
    # The six front companies are delisted; the file still carries the others (DPL's is not in
    # it at all, so that list is left alone).
    assert sorted(Entity.objects.active().values_list("name", flat=True)) == [
        "ABBAS, Rim",
        "Huawei Technologies Co., Ltd.",
        "I. Ash",
        "Rostec State Corporation",
    ]
    assert source.history.filter(history_user=compliance_admin).exists()


def test_an_approval_covers_only_the_file_that_was_held(tmp_path: Path, server: Server, compliance_admin: User) -> None:
    rows = [csl_row(f"Front Company {n}", addresses="Minsk, BY") for n in range(10)]
    server.reply = Reply(body=csv_bytes(tmp_path, rows))
    source = make_source(server)
    sources.fetch_source(source_id=source.pk)
    server.reply = Reply(body=csv_bytes(tmp_path, rows[:2]))
    source = sources.fetch_source(source_id=source.pk)
    sources.approve_held(source=source, actor=compliance_admin)

    # Another, different cut-short file arrives before the next fetch.
    server.reply = Reply(body=csv_bytes(tmp_path, rows[:1]))
    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.HELD
    assert Entity.objects.active().count() == 10


def test_only_enabled_sources_whose_schedule_is_due_are_fetched(tmp_path: Path, server: Server) -> None:
    server.reply = Reply(body=csv_bytes(tmp_path, BASE_ROWS))
    due = make_source(server, every_minutes=60)
    ListSource.objects.create(name="recent", url=server.url, fmt="csl-csv", last_checked_at=timezone.now())
    ListSource.objects.create(name="off", url=server.url, fmt="csl-csv", enabled=False)
    ListSource.objects.create(
        name="stale", url=server.url, fmt="csl-csv", last_checked_at=timezone.now() - timedelta(days=2)
    )

    fetched = sources.fetch_due_sources()

    assert sorted(ListSource.objects.filter(pk__in=fetched).values_list("name", flat=True)) == ["CSL", "stale"]
    assert due.pk in fetched


def test_only_web_urls_are_fetched(compliance_admin: User) -> None:
    source = ListSource.objects.create(name="local", url="file:///etc/passwd", fmt="csl-csv")

    source = sources.fetch_source(source_id=source.pk)

    assert source.status == ListSource.Status.FAILED
    assert "Only http and https" in source.error
