"""Redis (the broker) down while tickets are submitted: nothing fails, nothing is lost.

The hand-off to the worker happens on commit and must fail fast and be swallowed
(notifications.services._hand_to_worker); the outbox flush delivers later, exactly once.
"""

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from notifications.services import _headers
from notifications.tasks import deliver_notification, flush_outbox
from sla.tasks import sweep_sla
from tickets.models import EventKind, Ticket, TicketEvent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def test_tickets_submitted_while_the_broker_is_down_are_notified_once_after_it_returns(
    broker_on, api, requester, category
):
    client = Client()
    client.force_login(requester)
    token_client = api(requester)

    broker_on.stop()
    titles = []
    for number in range(3):
        started = time.monotonic()
        title = f"API while redis is down {number}"
        response = token_client.post(
            "/api/tickets/", {"title": title, "description": "x"}, format="json"
        )
        assert response.status_code == 201, response.content
        titles.append(title)
        title = f"Form while redis is down {number}"
        response = client.post(
            "/new/",
            {"title": title, "description": "x", "urgency": "low", "category": category.pk},
        )
        assert response.status_code in (200, 302), response.content
        titles.append(title)
        assert time.monotonic() - started < 5, "publishing must fail fast, not hang the request"

    tickets = Ticket.objects.filter(title__in=titles)
    assert tickets.count() == 6
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CREATED).count() == 1
    waiting = list(Notification.objects.filter(ticket__in=tickets))
    assert waiting, "ticket creation notifies the requester"
    assert {row.status for row in waiting} == {DeliveryStatus.PENDING}
    assert mail.outbox == []

    broker_on.start()
    # The hand-off works again at once: a new ticket's task reaches the queue.
    response = token_client.post(
        "/api/tickets/", {"title": "After redis is back", "description": "x"}, format="json"
    )
    assert response.status_code == 201
    assert broker_on.queued() >= 1

    # The beat's tasks, a minute later (the flush leaves rows younger than 20 s to the worker).
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        sweep_sla()
        flushed = flush_outbox()
        assert flush_outbox() == 0  # a second beat finds nothing left
    rows = list(Notification.objects.select_related("recipient", "ticket"))
    assert flushed == len(rows)
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    # The queued task of the last ticket, consumed late by a worker, sends nothing more.
    for row in rows:
        assert deliver_notification(row.pk) is False

    sent_ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert sorted(sent_ids) == sorted(_headers(row)["Message-ID"] for row in rows)
    assert len(set(sent_ids)) == len(sent_ids)  # each notification exactly once
