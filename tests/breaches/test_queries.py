"""Pinned query counts: the register does not grow with its size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from breaches import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _make(officer, n):
    for i in range(n):
        breach = services.breach_create(actor=officer, title=f"Breach {i}")
        if i % 2:
            services.breach_decide_not_to_notify(breach=breach, actor=officer, reason="Low")


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_api_register_list_is_pinned(security_officer, api):
    client = api(security_officer)
    reporter = UserFactory(username="other_officer", role=Role.SECURITY_OFFICER)
    _make(security_officer, 2)
    # 1 the token with its user, 2 the breaches with their reporter and first notification time.
    assert _count(client, "/api/breaches/") == 2
    _make(reporter, 8)
    assert _count(client, "/api/breaches/") == 2


def test_html_register_list_is_pinned(security_officer, client):
    client.force_login(security_officer)
    _make(security_officer, 2)
    # 1 the session, 2 the user, 3 the breaches with reporter and first notification time.
    assert _count(client, "/breaches/") == 3
    _make(security_officer, 8)
    assert _count(client, "/breaches/") == 3


def test_csv_is_pinned(security_officer, client):
    client.force_login(security_officer)
    _make(security_officer, 2)
    # session, user, the breaches with their first notification and ticket count
    assert _count(client, "/breaches/register.csv") == 3
    _make(security_officer, 8)
    assert _count(client, "/breaches/register.csv") == 3


def test_detail_page_is_pinned(breach, security_officer, client):
    client.force_login(security_officer)
    services.breach_add_note(breach=breach, actor=security_officer, body="one")
    # session, user, breach + reporter, then one each: tickets (+ requester), notes (+ author),
    # evidence (+ uploader), authority notifications (+ recorder), clock events, history (+ actor)
    few = _count(client, f"/breaches/{breach.pk}/")
    for n in range(4):
        services.breach_add_note(breach=breach, actor=security_officer, body=f"more {n}")
    assert few == _count(client, f"/breaches/{breach.pk}/") == 9
