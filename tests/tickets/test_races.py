"""Races on PostgreSQL: real threads, real transactions."""

import pytest
from django.db import connection
from django_fsm import TransitionNotAllowed

from escalation.models import SupportGroup, Tier
from tests.concurrency import run_at_once
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Status, Ticket, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_two_agents_take_the_same_ticket_exactly_one_wins(make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    rival = AgentFactory(username="rival", tier=Tier.L1)

    results = run_at_once(
        lambda: services.ticket_take(ticket=ticket, actor=agent_l1),
        lambda: services.ticket_take(ticket=ticket, actor=rival),
    )

    winners = [r for r in results if isinstance(r, Ticket)]
    losers = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert (len(winners), len(losers)) == (1, 1), results
    ticket.refresh_from_db()
    assert ticket.assignee_id == winners[0].assignee_id
    assert TicketEvent.objects.filter(ticket=ticket, transition="take").count() == 1


def test_two_agents_take_through_the_api_one_gets_409(make_ticket, agent_l1, api):
    ticket = make_ticket(Status.PRIORITIZED)
    rival = AgentFactory(username="rival", tier=Tier.L1)
    clients = [api(agent_l1), api(rival)]

    results = run_at_once(
        *[lambda c=c: c.post(f"/api/tickets/{ticket.pk}/take/", {}, format="json") for c in clients]
    )

    assert sorted(r.status_code for r in results) == [200, 409]
    assert TicketEvent.objects.filter(ticket=ticket, transition="take").count() == 1


def test_two_agents_escalate_at_once_exactly_one_escalation(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    rival = AgentFactory(username="rival", tier=Tier.L1)
    assert SupportGroup.objects.filter(tier=Tier.L1).count() == 1

    results = run_at_once(
        lambda: services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="a"),
        lambda: services.ticket_escalate(ticket=ticket, actor=rival, reason="b"),
    )

    assert sum(isinstance(r, Ticket) for r in results) == 1, results
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.escalation_count) == (Tier.L2, 1)
    assert TicketEvent.objects.filter(ticket=ticket, transition="escalate").count() == 1


def test_concurrent_creates_get_distinct_references(requester):
    results = run_at_once(
        *[
            lambda n=n: services.ticket_create(requester=requester, title=f"t{n}", description="d")
            for n in range(6)
        ]
    )

    references = [r.reference for r in results if isinstance(r, Ticket)]
    assert len(set(references)) == 6, results


def test_an_agent_who_lost_a_triage_race_to_a_p1_gets_a_conflict_not_a_refusal(
    make_ticket, agent_l1, category
):
    """The first triage made it a P1 and routed it to L3; the second L1 agent, acting from a
    stale queue page, is told the ticket moved on (409), not that they lack permission."""
    ticket = make_ticket(Status.NEW)
    rival = AgentFactory(username="rival", tier=Tier.L1)
    services.ticket_triage(
        ticket=ticket,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact="high",
        urgency="high",
    )
    ticket.refresh_from_db()
    assert ticket.tier == Tier.L3

    with pytest.raises(TransitionNotAllowed):
        services.ticket_triage(
            ticket=ticket,
            actor=rival,
            kind="incident",
            category=category,
            impact="low",
            urgency="low",
        )
