from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalation.selectors import is_first_contact_resolution, time_in_tier
from tickets import services
from tickets.models import ClosureCode, Status

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_seconds_per_tier_follow_escalations_and_stop_at_resolution(
    make_ticket, agent_l1, agent_l2
):
    with time_machine.travel(T0, tick=False) as clock:
        ticket = make_ticket(Status.IN_DIAGNOSIS)  # all at 09:00
        clock.move_to(T0 + timedelta(hours=1))
        services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="r")  # L1: 1 h
        clock.move_to(T0 + timedelta(hours=3))
        services.ticket_take(ticket=ticket, actor=agent_l2)
        clock.move_to(T0 + timedelta(hours=4))
        services.ticket_deescalate(ticket=ticket, actor=agent_l2, reason="r")  # L2: 3 h
        clock.move_to(T0 + timedelta(hours=4, minutes=30))
        services.ticket_take(ticket=ticket, actor=agent_l1)
        clock.move_to(T0 + timedelta(hours=5))
        services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="s", code="fixed")
        ticket.refresh_from_db()

        assert time_in_tier(ticket=ticket, now=T0 + timedelta(days=2)) == {
            1: 2 * 3600.0,
            2: 3 * 3600.0,
            3: 0.0,
        }
        assert not is_first_contact_resolution(ticket)


def test_an_open_ticket_counts_until_now(make_ticket):
    with time_machine.travel(T0, tick=False):
        ticket = make_ticket(Status.IN_DIAGNOSIS)

    assert time_in_tier(ticket=ticket, now=T0 + timedelta(minutes=90)) == {
        1: 5400.0,
        2: 0.0,
        3: 0.0,
    }


def test_first_contact_resolution_is_resolved_at_l1_never_escalated(make_ticket):
    assert is_first_contact_resolution(make_ticket(Status.RESOLVED))
    assert is_first_contact_resolution(make_ticket(Status.CLOSED))
    assert not is_first_contact_resolution(make_ticket(Status.IN_DIAGNOSIS))
    cancelled = make_ticket(Status.NEW)
    cancelled.closure_code = ClosureCode.DUPLICATE
    assert not is_first_contact_resolution(cancelled)


def test_time_in_tier_api_is_for_staff_only(make_ticket, agent_l1, requester, api):
    ticket = make_ticket(Status.RESOLVED)

    response = api(agent_l1).get(f"/api/tickets/{ticket.pk}/tiers/")
    assert response.status_code == 200
    assert response.json()["first_contact_resolution"] is True
    assert set(response.json()["seconds_by_tier"]) == {"1", "2", "3"}
    assert api(requester).get(f"/api/tickets/{ticket.pk}/tiers/").status_code == 403
