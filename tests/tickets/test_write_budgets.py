"""What each write costs the database: statements pinned, and constant in the number of
tickets, clocks and recipients (issue 19)."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sla.conftest import at
from tickets import services
from tickets.models import ClosureCode, Status, Ticket

pytestmark = pytest.mark.django_db


def _ticket_updates(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "tickets_ticket"')
    ]


def test_resolve_writes_the_ticket_row_once_with_its_time_to_resolve(make_ticket, agent_l1):
    with time_machine.travel(at(9), tick=False) as traveller:
        ticket = make_ticket(Status.IN_DIAGNOSIS)
        traveller.move_to(at(10))
        services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Waiting for logs")
        traveller.move_to(at(11, 30))
        services.ticket_resume(ticket=ticket, actor=agent_l1)
        traveller.move_to(at(13))

        with CaptureQueriesContext(connection) as ctx:
            services.ticket_resolve(
                ticket=ticket, actor=agent_l1, summary="Restarted it.", code=ClosureCode.FIXED
            )

    updates = _ticket_updates(ctx)
    assert len(updates) == 1
    assert "\"status\" = 'resolved'" in updates[0]
    assert '"time_to_resolve"' in updates[0]
    ticket = Ticket.objects.get(pk=ticket.pk)
    # 4 h from creation, 1.5 h of them on hold.
    assert ticket.time_to_resolve is not None
    assert ticket.time_to_resolve.total_seconds() == 2.5 * 3600
