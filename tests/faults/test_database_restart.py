"""PostgreSQL really restarted under load: requests in flight fail cleanly, the app recovers.

A private cluster (tests/faults/conftest.py) gets a copy of this test's database; gunicorn (two
sync workers, the psycopg pool, the 503 middleware and API handler: the production request path)
serves it while threads submit tickets through the API and the portal form and read the portal
list. Mid-load the cluster is stopped (fast shutdown: open transactions are rolled back, their
backends killed), kept down for a few seconds, and started again. The app is not restarted.

Every answer is a success or a 503 with Retry-After (no 500, no traceback); requests succeed
again by themselves; every acknowledged ticket exists; every ticket that exists is whole — its
`created` event, its SLA clocks and its outbox row (ticket_create writes them in one transaction).
"""

import http.client
import os
import secrets
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.services import api_token_create
from tests.faults.conftest import PrivatePostgres, gunicorn_serving

pytestmark = [
    # Real processes (gunicorn, celery, beat, nginx, redis): one at a time on one xdist worker, so
    # two such tests never starve each other's start-up on a 2-core machine.
    pytest.mark.xdist_group("processes"),
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

ROOT = Path(settings.BASE_DIR)
DOWN_SECONDS = 3  # longer than the pool timeout below: requests waiting for a connection give up
POOL_TIMEOUT_SECONDS = 1
RECOVERY_DEADLINE = 30


@dataclass
class Answer:
    action: str
    title: str
    status: int | str
    retry_after: str | None
    body: bytes
    after_restart: bool


def _gunicorn(env: dict[str, str], log: Path) -> AbstractContextManager[int]:
    return gunicorn_serving(
        options=["--workers", "2", "--timeout", "60"], env=env, log=log, ready=_answers_api
    )


def _answers_api(port: int) -> bool:
    with _Connection(port) as probe:
        probe.request("GET", "/api/me/")
        return probe.getresponse().status in (401, 403)


class _Connection(http.client.HTTPConnection):
    def __init__(self, port: int) -> None:
        super().__init__("127.0.0.1", port, timeout=60)

    def __enter__(self) -> "_Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Load:
    """Client threads looping until stopped; every answer is kept."""

    def __init__(self, port: int, *, token: str, session: str, category: int) -> None:
        self.port = port
        self.token = token
        self.csrf = secrets.token_hex(16)  # an unmasked secret is a valid form token too
        self.cookies = f"sessionid={session}; csrftoken={self.csrf}"
        self.category = category
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.restarted = threading.Event()

    def successes(self, *, after_restart: bool) -> int:
        with self.lock:
            return sum(
                1
                for a in self.answers
                if a.after_restart == after_restart and a.status in (200, 201, 302)
            )

    def _call(self, client: http.client.HTTPConnection, action: str, title: str, **request) -> None:
        after_restart = self.restarted.is_set()
        try:
            client.request(**request)
            response = client.getresponse()
            answer = Answer(
                action,
                title,
                response.status,
                response.getheader("Retry-After"),
                response.read(),
                after_restart,
            )
        except (OSError, http.client.HTTPException) as exc:
            client.close()
            answer = Answer(action, title, type(exc).__name__, None, b"", after_restart)
        with self.lock:
            self.answers.append(answer)

    def api_submitter(self, number: int) -> None:
        with _Connection(self.port) as client:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                title = f"api {number}-{n}"
                body = f'{{"title": "{title}", "description": "x", "urgency": "low"}}'
                self._call(
                    client,
                    "api create",
                    title,
                    method="POST",
                    url="/api/tickets/",
                    body=body,
                    headers={
                        "Authorization": f"Token {self.token}",
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                    },
                )

    def portal_user(self) -> None:
        headers = {"Cookie": self.cookies, "Host": f"127.0.0.1:{self.port}"}
        with _Connection(self.port) as client:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                title = f"form {n}"
                form = {
                    "title": title,
                    "description": "x",
                    "urgency": "low",
                    "category": self.category,
                    "csrfmiddlewaretoken": self.csrf,
                }
                self._call(
                    client,
                    "form create",
                    title,
                    method="POST",
                    url="/new/",
                    body=urlencode(form),
                    headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
                )
                self._call(client, "portal list", "", method="GET", url="/my/", headers=headers)


def _wait(what: str, condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_real_restart_under_load_answers_503_recovers_and_leaves_no_partial_ticket(
    private_postgres: PrivatePostgres, requester, category, tmp_path
):
    token = api_token_create(user=requester)
    browser = Client()
    browser.force_login(requester)
    session = browser.cookies["sessionid"].value
    # This test's database (personas, token, session, the default SLA policy) into the cluster.
    private_postgres.copy_database(connection.settings_dict, "helpdesk")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": private_postgres.url("helpdesk"),
        "DATABASE_POOL_TIMEOUT": str(POOL_TIMEOUT_SECONDS),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "HELPDESK_VAR_DIR": str(tmp_path),  # the filesystem broker: Redis plays no part here
        "HELPDESK_THROTTLE_USER": "100000/min",
        "HELPDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop("CELERY_BROKER_URL", None)
    log = tmp_path / "gunicorn.log"
    with _gunicorn(env, log) as port:
        load = Load(port, token=token, session=session, category=category.pk)
        threads = [threading.Thread(target=load.api_submitter, args=(n,)) for n in range(3)]
        threads.append(threading.Thread(target=load.portal_user))
        try:
            for thread in threads:
                thread.start()
            _wait("load before the restart", lambda: load.successes(after_restart=False) >= 10, 30)
            private_postgres.stop()
            time.sleep(DOWN_SECONDS)
            private_postgres.start()
            load.restarted.set()
            started = time.monotonic()
            _wait(
                "requests to succeed again",
                lambda: load.successes(after_restart=True) >= 10,
                RECOVERY_DEADLINE,
            )
            recovered_in = time.monotonic() - started
        finally:
            load.stop.set()
            for thread in threads:
                thread.join(timeout=90)

    by_status: dict[tuple[str, int | str], int] = {}
    for answer in load.answers:
        key = (answer.action, answer.status)
        by_status[key] = by_status.get(key, 0) + 1
    print(f"answers: {by_status}; recovered {recovered_in:.1f} s after the start")
    expected = {"api create": 201, "form create": 302, "portal list": 200}  # form: PRG
    wrong = [a for a in load.answers if a.status not in (expected[a.action], 503)]
    assert not wrong, (wrong[:5], log.read_text()[-3000:])
    unavailable = [a for a in load.answers if a.status == 503]
    assert unavailable, "the outage was not noticed: no request was in flight or waiting"
    for answer in unavailable:
        assert answer.retry_after, answer
        assert b"Traceback" not in answer.body and b'File "' not in answer.body, answer.body
    assert any(a.action == "api create" for a in unavailable)

    acknowledged = {a.title for a in load.answers if a.status == expected[a.action] and a.title}
    with psycopg.connect(private_postgres.url("helpdesk")) as db:
        rows = db.execute(
            """
            SELECT t.title,
                   (SELECT count(*) FROM tickets_ticketevent e
                     WHERE e.ticket_id = t.id AND e.kind = 'created'),
                   (SELECT count(*) FROM sla_slaclock c WHERE c.ticket_id = t.id),
                   (SELECT count(*) FROM notifications_notification n
                     WHERE n.ticket_id = t.id AND n.kind = 'ticket_created')
              FROM tickets_ticket t
            """
        ).fetchall()
    stored = [title for title, *_ in rows]
    assert len(stored) == len(set(stored)), "a ticket was stored twice"
    assert acknowledged <= set(stored), f"lost: {sorted(acknowledged - set(stored))}"
    partial = [row for row in rows if row[1] != 1 or row[2] < 1 or row[3] != 1]
    assert not partial, f"partial tickets (title, created events, clocks, outbox rows): {partial}"
