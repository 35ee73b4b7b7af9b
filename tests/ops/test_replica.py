"""A real PostgreSQL streaming replica (initdb + pg_basebackup -R on loopback ports) behind a
real gunicorn: the heavy read-only pages are served from the replica, writes land on the
primary, a user who just wrote reads the primary, and with the replica stopped the pages read
the primary without an error."""

import http.client
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.services import api_token_create
from kb.models import Article, Visibility
from tests.faults.conftest import PrivatePostgres, gunicorn_serving, poll

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

ROOT = Path(settings.BASE_DIR)
OLD, NEW = "Reset your VPN password", "Reset your VPN password (revised)"


class PrivateReplica(PrivatePostgres):
    """A hot standby of `primary`, cloned by pg_basebackup -R (streaming, standby.signal)."""

    def __init__(self, primary: PrivatePostgres) -> None:
        super().__init__(primary.bin)
        self.primary = primary

    def init(self) -> None:
        self._server_command(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.data), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip

    def sql(self, database: str, query: str) -> str:
        return _psql(self.port, database, query)


def _psql(port: int, database: str, query: str) -> str:
    bin_dir = Path(shutil.which("psql") or "psql").parent
    result = subprocess.run(  # noqa: S603
        [str(bin_dir / "psql"), "-At", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-d", database, "-c", query],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return result.stdout.strip()


@pytest.fixture
def replica(private_postgres: PrivatePostgres) -> Iterator[PrivateReplica]:
    server = PrivateReplica(private_postgres)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


def _request(port: int, method: str, path: str, *, body: dict | None = None, **headers: str):
    link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/json"
        link.request(method, path, body=payload, headers=headers)
        answer = link.getresponse()
        return answer.status, answer.read().decode()
    finally:
        link.close()


def gunicorn(env: dict[str, str], log: Path) -> AbstractContextManager[int]:
    return gunicorn_serving(
        options=["--workers", "1"],
        env=env,
        log=log,
        ready=lambda port: _request(port, "GET", "/healthz")[0] == 200,
    )


def test_heavy_pages_read_the_replica_writers_the_primary_and_a_stopped_replica_is_skipped(
    private_postgres, replica, requester, agent_l1, tmp_path
):
    article = Article.objects.create(
        title=OLD, body="Open the portal and choose a new one.", visibility=Visibility.PUBLIC,
        author=agent_l1,
    )  # fmt: skip
    token = api_token_create(user=requester)
    # Copied after the replica was cloned from the (empty) primary: it streams the copy.
    private_postgres.copy_database(connection.settings_dict, "helpdesk")
    title_of = f"SELECT title FROM kb_article WHERE id = {article.pk}"  # noqa: S608
    poll(
        "the replica to replay the copy",
        lambda: (
            replica.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = 'helpdesk'") == "1"
            and replica.sql("helpdesk", title_of) == OLD
        ),
    )
    assert replica.sql("helpdesk", "SELECT pg_is_in_recovery()") == "t"

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": private_postgres.url("helpdesk"),
        "DATABASE_REPLICA_URL": replica.url("helpdesk"),
        "HELPDESK_REPLICA_STICKY_S": "60",
        "HELPDESK_REPLICA_RETRY_S": "60",
        "HELPDESK_REPLICA_CONNECT_TIMEOUT_S": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "HELPDESK_VAR_DIR": str(tmp_path),
        "HELPDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("CELERY_BROKER_URL", None)
    auth = {"Authorization": f"Token {token}"}
    with gunicorn(env, tmp_path / "gunicorn.log") as port:
        # The replica stops replaying; the primary changes the article.
        replica.sql("helpdesk", "SELECT pg_wal_replay_pause()")
        revise = f"UPDATE kb_article SET title = '{NEW}' WHERE id = {article.pk}"  # noqa: S608
        _psql(private_postgres.port, "helpdesk", revise)

        # Knowledge search (a replica page): served from the replica, so the old title.
        status, page = _request(port, "GET", "/kb/")
        assert status == 200
        assert OLD in page and NEW not in page
        status, suggestions = _request(port, "GET", "/api/kb/suggest/?q=vpn", **auth)
        assert status == 200
        assert [row["title"] for row in json.loads(suggestions)] == [OLD]
        # A page not on the list reads the primary.
        status, body = _request(port, "GET", f"/api/kb/articles/{article.pk}/", **auth)
        assert status == 200 and json.loads(body)["title"] == NEW

        # The requester writes (on the primary: the paused replica never sees it) …
        status, body = _request(
            port, "POST", "/api/tickets/", body={"title": "VPN again", "description": "x"}, **auth
        )
        assert status == 201, body
        created = json.loads(body)["id"]
        ticket_title = f"SELECT title FROM tickets_ticket WHERE id = {created}"  # noqa: S608
        assert _psql(private_postgres.port, "helpdesk", ticket_title) == "VPN again"
        assert replica.sql("helpdesk", ticket_title) == ""
        # … and then reads the primary on the same page (sticky), while others still don't.
        status, suggestions = _request(port, "GET", "/api/kb/suggest/?q=vpn", **auth)
        assert [row["title"] for row in json.loads(suggestions)] == [NEW]
        assert OLD in _request(port, "GET", "/kb/")[1]

        # The replica stops: the same pages answer from the primary, no error.
        replica.sql("helpdesk", "SELECT pg_wal_replay_resume()")
        replica.stop()
        for _attempt in range(3):
            status, page = _request(port, "GET", "/kb/")
            assert status == 200, page
            assert NEW in page
        status, suggestions = _request(port, "GET", "/api/kb/suggest/?q=vpn")
        assert status == 200 and [row["title"] for row in json.loads(suggestions)] == [NEW]
    log = (tmp_path / "gunicorn.log").read_text()
    assert "read replica unavailable" in log
    assert "Traceback" not in log
