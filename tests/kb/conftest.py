from collections.abc import Callable

import pytest

from accounts.models import User
from tickets import services
from tickets.models import Category, ClosureCode, Level, Ticket


@pytest.fixture
def resolve_ticket(requester, agent_l1) -> Callable[..., Ticket]:
    """A ticket driven through the services to resolved, with its resolution summary."""

    def make(
        *,
        title: str,
        description: str,
        summary: str,
        category: Category,
        requester: User = requester,
        close: bool = False,
    ) -> Ticket:
        ticket = services.ticket_create(
            requester=requester, title=title, description=description, urgency=Level.MEDIUM
        )
        ticket = services.ticket_triage(
            ticket=ticket,
            actor=agent_l1,
            kind="incident",
            category=category,
            impact=Level.MEDIUM,
            urgency=Level.MEDIUM,
        )
        ticket = services.ticket_take(ticket=ticket, actor=agent_l1)
        ticket = services.ticket_resolve(
            ticket=ticket, actor=agent_l1, summary=summary, code=ClosureCode.FIXED
        )
        if close:
            ticket = services.ticket_close(ticket=ticket, actor=ticket.requester)
        ticket.refresh_from_db()
        return ticket

    return make
