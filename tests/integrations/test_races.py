"""Concurrent deliveries of the same alert, on PostgreSQL with real threads and transactions."""

import threading

import pytest
from django.db import connection, connections

from integrations.models import MonitoredAlert
from tests.integrations.conftest import payload
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _run_at_once(*actions):
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # collected for the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_the_same_alert_delivered_four_times_at_once_opens_one_incident(alertmanager, post_alerts):
    body = payload("alertmanager_firing")

    results = _run_at_once(*[lambda: post_alerts(alertmanager.token, body) for _ in range(4)])

    assert [getattr(r, "status_code", r) for r in results] == [200] * 4
    outcomes = sorted(r.json()["alerts"][0]["outcome"] for r in results)
    assert outcomes == ["opened", "repeated", "repeated", "repeated"]
    assert Ticket.objects.count() == 1
    assert MonitoredAlert.objects.get().fire_count == 4


def test_the_same_event_triggered_at_once_opens_one_incident(events, post_event):
    body = payload("events_trigger")

    results = _run_at_once(*[lambda: post_event(events.token, body) for _ in range(3)])

    assert [getattr(r, "status_code", r) for r in results] == [202] * 3
    assert Ticket.objects.count() == 1
    assert MonitoredAlert.objects.get().fire_count == 3
