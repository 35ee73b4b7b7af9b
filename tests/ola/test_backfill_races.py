"""A target saved while a ticket of its tier is being changed: real PostgreSQL transactions in
two threads. The backfill locks the tier's tickets, so it sees the ticket write's result (or
the write sees its clocks), never a mix."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from escalation.models import Tier
from ola.models import OlaClock
from ola.services import ola_target_save
from sla.models import ClockState
from tests.concurrency import wait_until_a_backend_waits_on_a_lock
from tickets import services
from tickets.models import Status
from tickets.models_choices import Priority

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _in_threads(first, second) -> None:
    """`first` runs in a transaction that, once it has done its work, waits until `second`
    (started then) is blocked on its locks, and commits; `second` then goes on."""
    from django.db import connections

    done = threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            with transaction.atomic():
                first()
                done.set()
                wait_until_a_backend_waits_on_a_lock()
        except BaseException as exc:
            errors.append(exc)
            done.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            done.wait(10)
            second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def _target(manager):
    return lambda: ola_target_save(
        actor=manager,
        tier=Tier.L1,
        priority=Priority.P3,
        take_within=timedelta(minutes=30),
        handoff_within=timedelta(hours=2),
    )


def test_a_ticket_taken_while_the_target_is_saved_owes_no_take(make_ticket, manager, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)  # L1 P3, nobody holds it, no OLA yet

    _in_threads(
        lambda: services.ticket_take(ticket=ticket, actor=agent_l1),  # locks the ticket
        _target(manager),  # waits for the take, then sees the ticket held
    )

    clocks = list(OlaClock.objects.filter(ticket=ticket))
    assert [(c.tier, c.metric, c.state) for c in clocks] == [(1, "handoff", ClockState.RUNNING)]


def test_a_ticket_taken_after_the_target_is_saved_stops_its_take(make_ticket, manager, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)

    _in_threads(
        _target(manager),  # locks the ticket and starts both clocks
        lambda: services.ticket_take(ticket=ticket, actor=agent_l1),  # waits, then stops take
    )

    states = {c.metric: c.state for c in OlaClock.objects.filter(ticket=ticket)}
    assert states == {"take": ClockState.MET, "handoff": ClockState.RUNNING}


def test_a_ticket_escalated_while_the_target_is_saved_gets_no_clock_in_its_old_tier(
    make_ticket, manager, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    _in_threads(
        lambda: services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Network"),
        _target(manager),
    )

    assert not OlaClock.objects.filter(ticket=ticket).exists()  # in L2 now, no L2 target
