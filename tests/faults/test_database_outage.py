"""PostgreSQL connections killed under the app (as a restart would): it recovers by itself.

We terminate our own test database's backends with pg_terminate_backend rather than restarting
the shared server. Requests never answer a 500; the pool discards the dead connections.
"""

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL only"
    ),
]


def _terminate_every_backend_of_the_test_database() -> int:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def test_killed_pooled_connections_are_discarded_and_requests_recover(requester, category):
    assert "pool" in settings.DATABASES["default"]["OPTIONS"]
    # A process's pool as a restart finds it: connections idle in it, none held elsewhere. (Earlier
    # tests in this worker may leave connections checked out by their server threads, which a
    # web process never does; under load they used up the pool before this test began.)
    connection.close()
    connection.close_pool()
    client = Client()
    client.force_login(requester)
    assert client.get("/my/").status_code == 200
    connection.close()  # hand our connection back to the pool, so it is killed idle

    assert _terminate_every_backend_of_the_test_database() >= 1

    codes = [client.get("/my/").status_code for _ in range(3)]
    assert 500 not in codes
    assert codes[-1] == 200
    # Writes work again too, and nothing half-written was left behind.
    response = client.post(
        "/new/",
        {
            "title": "After the restart",
            "description": "x",
            "urgency": "low",
            "category": category.pk,
        },
    )
    assert response.status_code == 302  # filed, and redirected (Post/Redirect/Get)
    assert Ticket.objects.filter(title="After the restart").count() == 1


def test_a_connection_killed_mid_request_answers_503_not_a_traceback(requester, monkeypatch):
    client = Client()
    client.force_login(requester)
    assert client.get("/my/").status_code == 200

    from tickets.views import portal as views

    real = views.ticket_list

    def killed_during(**kwargs):
        connection.ensure_connection()
        with connection.cursor() as cursor:  # our own backend dies under us
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(**kwargs)

    monkeypatch.setattr(views, "ticket_list", killed_during)
    response = client.get("/my/")
    assert response.status_code == 503
    assert response["Retry-After"]
    monkeypatch.setattr(views, "ticket_list", real)
    assert client.get("/my/").status_code == 200


def test_an_outage_met_before_the_view_answers_503_not_500(requester, monkeypatch, api):
    """The session and the user are loaded by middleware, outside process_exception's reach:
    handler500 (helpdesk.middleware.server_error) answers those with the 503 too."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    browser = Client(raise_request_exception=False)
    browser.force_login(requester)

    def refused(self):  # type: ignore[no-untyped-def]
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", refused)
    page = browser.get("/my/")
    assert page.status_code == 503
    assert page["Retry-After"]
    assert b"Traceback" not in page.content
    endpoint = browser.get("/api/tickets/")  # the session authenticates the API too
    assert endpoint.status_code == 503
    assert endpoint["Retry-After"]
    assert "message" in endpoint.json()


def test_other_errors_met_before_the_view_stay_a_plain_500(requester, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    browser = Client(raise_request_exception=False)
    browser.force_login(requester)

    def broken(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", broken)
    response = browser.get("/my/")
    assert response.status_code == 500
    assert b"a bug" not in response.content
