"""Exactly once under concurrency: real PostgreSQL transactions in threads."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from notifications.models import Notification
from sla import sweep as sla_sweep_module
from sla.models import SlaEvent, SlaOutcome, SlaOutcomeDay
from sla.sweep import sla_record_due, sla_sweep
from tests.concurrency import run_at_once, wait_until_a_backend_waits_on_a_lock
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _assert_everything_once(tickets):
    # one breach per clock (first response and resolution of every ticket)
    assert SlaEvent.objects.count() == 2 * len(tickets)
    assert not SlaEvent.objects.filter(applied_at__isnull=True).exists()
    # one breach verdict per clock for the dashboards, counted once in its day
    assert SlaOutcome.objects.filter(met=False).count() == 2 * len(tickets)
    days = SlaOutcomeDay.objects.aggregate(met=Sum("met"), breached=Sum("breached"))
    assert days == {"met": 0, "breached": 2 * len(tickets)}
    assert TicketEvent.objects.filter(kind=EventKind.SLA).count() == 2 * len(tickets)
    # one escalation and one raise per breach
    escalations = TicketEvent.objects.filter(transition="escalate_for_breach")
    assert escalations.count() == len(tickets)
    assert TicketEvent.objects.filter(kind=EventKind.RAISED).count() == 2 * len(tickets)
    assert set(Ticket.objects.values_list("status", "tier")) == {(Status.ESCALATED, 2)}
    duplicates = (
        Notification.objects.values("kind", "ticket", "recipient", "context")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()


def test_two_sweeps_at_once_record_and_act_once(make_ticket, manager):
    tickets = [make_ticket(Status.IN_DIAGNOSIS) for _ in range(12)]
    later = timezone.now() + timedelta(days=3)

    results = run_at_once(
        lambda: sla_sweep(now=later, batch_size=5),
        lambda: sla_sweep(now=later, batch_size=5),
        lambda: sla_sweep(now=later, batch_size=5),
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.recorded for r in results) == 2 * len(tickets)  # type: ignore[attr-defined]
    _assert_everything_once(tickets)
    # and a redelivered sweep afterwards finds nothing
    again = sla_sweep(now=later)
    assert (again.recorded, again.applied) == (0, 0)


def test_a_sweep_killed_half_way_leaves_nothing_behind_and_the_next_one_does_it_all(
    make_ticket, manager
):
    tickets = [make_ticket(Status.IN_DIAGNOSIS) for _ in range(4)]
    later = timezone.now() + timedelta(days=3)

    # killed in the middle of a batch (after some events were built)
    calls = {"n": 0}
    real_next_alert_at = sla_sweep_module.next_alert_at

    def dies_on_the_third(clock):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("killed")
        return real_next_alert_at(clock)

    with (
        mock.patch("sla.sweep.next_alert_at", side_effect=dies_on_the_third),
        pytest.raises(SystemExit),
    ):
        sla_record_due(now=later)
    assert not SlaEvent.objects.exists()

    with (
        # killed while the effects of a batch are written (the escalations' UPDATE)
        mock.patch("sla.sweep._escalate", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        sla_sweep(now=later)
    # the events were recorded (their own committed batch), but no effect of the killed one
    assert SlaEvent.objects.count() == 8
    assert TicketEvent.objects.filter(transition="escalate_for_breach").count() == 0

    sla_sweep(now=later)
    _assert_everything_once(tickets)


def test_a_ticket_write_waiting_for_clocks_the_sweep_holds_does_not_deadlock(make_ticket, agent_l1):
    """The write holds the ticket row and waits for its clocks; the sweep, holding the clocks,
    records an SlaEvent for that ticket. Both must finish (no deadlock, no error)."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    later = timezone.now() + timedelta(hours=3)  # first response breached
    claimed, go_on = threading.Event(), threading.Event()
    real_reached_level = sla_sweep_module.reached_level

    def reached_level_then_pause(clock, now):
        claimed.set()
        go_on.wait(timeout=20)
        return real_reached_level(clock, now)

    def sweep():
        with mock.patch("sla.sweep.reached_level", side_effect=reached_level_then_pause):
            return sla_record_due(now=later)

    def reply():
        claimed.wait(timeout=20)
        return services.comment_create(ticket=ticket, actor=agent_l1, body="on it")

    def release_when_the_reply_waits():
        claimed.wait(timeout=20)
        wait_until_a_backend_waits_on_a_lock()
        go_on.set()

    results = run_at_once(sweep, reply, release_when_the_reply_waits)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0] == (1, 1)  # the first response clock, breached
    assert SlaEvent.objects.filter(ticket=ticket, kind="breach").count() == 1
    assert ticket.comments.count() == 1
