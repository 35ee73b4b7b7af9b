"""Issue 16, item 2, on PostgreSQL with real threads: the same form render, or the same API
Idempotency-Key, sent twice at the same moment writes once."""

import pytest
from django.db import connection
from django.test import Client

from tests.concurrency import run_at_once
from tickets.models import Comment, Status, Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def test_a_reply_double_clicked_is_stored_once(requester, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(requester)
    form = {"reply-body": "Sent twice at once.", "idempotency_key": "double-click"}

    results = run_at_once(
        *[lambda c=c: c.post(f"/tickets/{ticket.pk}/reply/", form) for c in clients]
    )

    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert {r["Location"] for r in results} == {f"/tickets/{ticket.pk}/"}
    assert Comment.objects.filter(ticket=ticket, body="Sent twice at once.").count() == 1


def test_a_new_request_double_clicked_files_one_ticket(requester, category):
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(requester)
    form = {
        "title": "Double click",
        "description": "…",
        "urgency": "low",
        "idempotency_key": "new-double-click",
    }

    results = run_at_once(*[lambda c=c: c.post("/new/", form) for c in clients])

    assert [getattr(r, "status_code", r) for r in results] == [302, 302]
    assert Ticket.objects.filter(title="Double click").count() == 1
    assert len({r["Location"] for r in results}) == 1


def test_an_api_post_retried_at_once_stores_one_comment(requester, make_ticket, api):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clients = [api(requester), api(requester)]

    results = run_at_once(
        *[
            lambda c=c: c.post(
                f"/api/tickets/{ticket.pk}/comments/",
                {"body": "Retried at once."},
                format="json",
                HTTP_IDEMPOTENCY_KEY="api-race",
            )
            for c in clients
        ]
    )

    codes = sorted(getattr(r, "status_code", r) for r in results)
    assert codes in ([201, 201], [201, 409]), results
    assert Comment.objects.filter(ticket=ticket, body="Retried at once.").count() == 1
    created = [r for r in results if r.status_code == 201]
    if len(created) == 2:  # the duplicate waited and got the first answer
        assert created[0].json() == created[1].json()
        assert sum(r.get("Idempotent-Replayed") == "true" for r in created) == 1
