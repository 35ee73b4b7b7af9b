"""Races on PostgreSQL: de-escalation, reassignment and the call-hold sweep."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from escalation.models import Tier
from escalation.services import call_release_hold, call_schedule
from tests.concurrency import run_at_once
from tests.factories import AgentFactory
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def l2_ticket(make_ticket, agent_l2):
    return services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)


def test_two_agents_deescalate_at_once_exactly_one_deescalation(l2_ticket, agent_l2):
    rival = AgentFactory(username="rival_l2", tier=Tier.L2)

    results = run_at_once(
        lambda: services.ticket_deescalate(ticket=l2_ticket, actor=agent_l2, reason="a"),
        lambda: services.ticket_deescalate(ticket=l2_ticket, actor=rival, reason="b"),
    )

    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    l2_ticket.refresh_from_db()
    assert (l2_ticket.tier, l2_ticket.status) == (Tier.L1, Status.ESCALATED)
    assert TicketEvent.objects.filter(ticket=l2_ticket, transition="deescalate").count() == 1


def test_two_reassignments_at_once_are_serialised_without_a_lost_update(l2_ticket, agent_l2):
    first = AgentFactory(username="first_l2", tier=Tier.L2)
    second = AgentFactory(username="second_l2", tier=Tier.L2)

    results = run_at_once(
        lambda: services.ticket_reassign(
            ticket=l2_ticket, actor=agent_l2, assignee=first, reason="a"
        ),
        lambda: services.ticket_reassign(
            ticket=l2_ticket, actor=agent_l2, assignee=second, reason="b"
        ),
    )

    assert all(isinstance(r, Ticket) for r in results), results
    changes = [
        e.changes["assignee_id"]
        for e in TicketEvent.objects.filter(ticket=l2_ticket, kind=EventKind.CHANGE).order_by("id")
    ]
    # Each reassignment starts from what the previous one left: a chain, never a fork.
    assert len(changes) == 2 and changes[0][0] == agent_l2.pk and changes[1][0] == changes[0][1]
    l2_ticket.refresh_from_db()
    assert l2_ticket.assignee_id == changes[1][1]


def test_reassign_racing_an_escalation_never_leaves_an_assignee_in_the_queue(l2_ticket, agent_l2):
    colleague = AgentFactory(username="colleague_l2", tier=Tier.L2)

    results = run_at_once(
        lambda: services.ticket_escalate(ticket=l2_ticket, actor=agent_l2, reason="L3 needed"),
        lambda: services.ticket_reassign(
            ticket=l2_ticket, actor=agent_l2, assignee=colleague, reason="r"
        ),
    )

    l2_ticket.refresh_from_db()
    assert (l2_ticket.status, l2_ticket.tier, l2_ticket.assignee_id) == (
        Status.ESCALATED,
        Tier.L3,
        None,
    ), results


def test_two_sweeps_release_a_call_hold_once(l2_ticket, agent_l2):
    call = call_schedule(
        ticket=l2_ticket,
        actor=agent_l2,
        starts_at=timezone.now() + timedelta(hours=1),
        duration_minutes=30,
        medium="phone",
        link_or_number="+34 600 000 000",
        hold_until_call=True,
    )

    with time_machine.travel(call.starts_at + timedelta(seconds=1), tick=False):
        results = run_at_once(
            lambda: call_release_hold(call_id=call.pk), lambda: call_release_hold(call_id=call.pk)
        )

    assert sorted(results) == [False, True], results
    assert TicketEvent.objects.filter(ticket=l2_ticket, transition="resume").count() == 1
