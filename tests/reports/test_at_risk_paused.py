"""The dashboard's "Tickets at risk now" for a clock paused past 75 % of its target: its time
left is frozen at the pause and its due time is only set again when it resumes, so the table
gives the time left, not the due time as of the pause (long past after a long wait)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

DAY = datetime(2025, 3, 3, tzinfo=UTC)


def test_a_paused_clock_at_risk_shows_its_frozen_time_left(client, manager, make_ticket, agent_l1):
    with time_machine.travel(DAY + timedelta(hours=9), tick=False) as traveller:
        ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution (24 h) due 09:00 next day
        services.comment_create(ticket=ticket, actor=agent_l1, body="Looking into it.")
        traveller.move_to(DAY + timedelta(days=1, hours=5))  # 20 h used, 4 h left
        services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Need your logs")
        traveller.move_to(DAY + timedelta(days=1, hours=15))  # waiting for ten hours
        client.force_login(manager)
        response = client.get(reverse("reports:dashboard"), {"period": "7d"})

    assert response.context["board"].at_risk_count == 1
    row = response.content.decode().split('data-testid="at-risk-table"')[1].split("</table>")[0]
    assert ticket.reference in row and "(paused)" in row
    assert "4 h 00 min left" in row
    # It was "due" at 09:00 on 4 March, six hours before now, while at risk and not breached.
    assert "4 Mar 2025" not in row, row
