"""Concurrent deliveries of the same alert, on PostgreSQL with real threads and transactions."""

import pytest
from django.db import connection

from integrations.models import MonitoredAlert
from tests.concurrency import run_at_once
from tests.integrations.conftest import payload
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_the_same_alert_delivered_four_times_at_once_opens_one_incident(alertmanager, post_alerts):
    body = payload("alertmanager_firing")

    results = run_at_once(*[lambda: post_alerts(alertmanager.token, body) for _ in range(4)])

    assert [getattr(r, "status_code", r) for r in results] == [200] * 4
    outcomes = sorted(r.json()["alerts"][0]["outcome"] for r in results)
    assert outcomes == ["opened", "repeated", "repeated", "repeated"]
    assert Ticket.objects.count() == 1
    assert MonitoredAlert.objects.get().fire_count == 4


def test_the_same_event_triggered_at_once_opens_one_incident(events, post_event):
    body = payload("events_trigger")

    results = run_at_once(*[lambda: post_event(events.token, body) for _ in range(3)])

    assert [getattr(r, "status_code", r) for r in results] == [202] * 3
    assert Ticket.objects.count() == 1
    assert MonitoredAlert.objects.get().fire_count == 3
