"""Canned responses: placeholders filled for the ticket and the agent."""

import pytest

from knowledge.models import CannedResponse
from knowledge.selectors import canned_response_render, canned_responses_for_ticket
from tests.factories import AgentFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return TicketFactory(
        requester=UserFactory(display_name="Rita"), contact_name="Rita R.", title="VPN"
    )


@pytest.fixture
def agent():
    return AgentFactory(display_name="Liam", language="es")


def test_placeholders_are_filled(ticket, agent):
    text = canned_response_render(
        body="Hi {requester_name}, {ticket_reference} is fixed. — {agent_name}",
        ticket=ticket,
        agent=agent,
    )

    assert text == f"Hi Rita R., {ticket.reference} is fixed. — Liam"


@pytest.mark.parametrize(
    "body",
    [
        "Unknown {placeholder} stays",
        "A stray { brace",
        "Positional {0}",
        "{a.b}",
        "Indexed {requester_name[x]}",
        "Sliced {agent_name[0:2]}",
    ],
)
def test_odd_bodies_never_fail(body, ticket, agent):
    assert canned_response_render(body=body, ticket=ticket, agent=agent) in (
        body,
        "Unknown {placeholder} stays",
    )


def test_only_active_ones_and_the_agents_language_first(ticket, agent):
    CannedResponse.objects.create(title="B English", body="b", language="en")
    CannedResponse.objects.create(title="A English", body="a", language="en")
    CannedResponse.objects.create(title="Z Spanish", body="z", language="es")
    CannedResponse.objects.create(title="Off", body="off", is_active=False)

    titles = [r.title for r in canned_responses_for_ticket(ticket=ticket, agent=agent)]

    assert titles == ["Z Spanish", "A English", "B English"]
