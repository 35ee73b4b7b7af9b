"""Exactly once with two sweepers at once: real PostgreSQL transactions in threads."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from ola.models import OlaEvent
from ola.sweep import ola_sweep
from tests.concurrency import run_at_once
from tickets.models import EventKind, Status, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_sweeps_at_once_record_and_notify_each_breach_once(ola_targets, leads, make_ticket):
    tickets = [make_ticket(Status.PRIORITIZED) for _ in range(8)]
    later = timezone.now() + timedelta(hours=1)

    results = run_at_once(
        lambda: ola_sweep(now=later, batch_size=3),
        lambda: ola_sweep(now=later, batch_size=3),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    # take and handoff of every ticket, once each
    assert sum(r.recorded for r in results) == 2 * len(tickets)  # type: ignore[attr-defined]
    assert OlaEvent.objects.count() == 2 * len(tickets)
    assert not OlaEvent.objects.filter(applied_at__isnull=True).exists()
    assert TicketEvent.objects.filter(kind=EventKind.SLA).count() == 2 * len(tickets)
    notes = Notification.objects.filter(kind=NotificationKind.OLA_BREACH)
    assert notes.count() == 2 * len(tickets)  # one L1 lead
    duplicates = notes.values("ticket", "recipient", "context").annotate(n=Count("id"))
    assert not duplicates.filter(n__gt=1).exists()
    again = ola_sweep(now=later)
    assert (again.recorded, again.applied) == (0, 0)
