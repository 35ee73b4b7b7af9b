"""The OLA clocks follow the ticket through its tiers with the SLA engine's rules (issue 22)."""

from datetime import timedelta

import pytest

from escalation.models import Tier
from ola.models import OlaMetric, OlaTarget
from sla.models import ClockState
from tests.ola.conftest import ola_of
from tests.sla.conftest import at
from tickets import services
from tickets.models import ClosureCode, Level, Status

pytestmark = pytest.mark.django_db

TAKE, HANDOFF = OlaMetric.TAKE, OlaMetric.HANDOFF


def _new(requester):
    return services.ticket_create(requester=requester, title="VPN", description="Down")


def test_no_target_no_clock(clock, requester):
    ticket = _new(requester)
    assert ola_of(ticket) == {}


def test_a_new_ticket_starts_its_tiers_take_and_handoff_clocks(clock, ola_targets, requester):
    ticket = _new(requester)

    clocks = ola_of(ticket)
    assert set(clocks) == {(Tier.L1, TAKE, 1), (Tier.L1, HANDOFF, 1)}
    assert clocks[(Tier.L1, TAKE, 1)].due_at == at(9, 15)
    assert clocks[(Tier.L1, HANDOFF, 1)].due_at == at(9, 30)
    assert clocks[(Tier.L1, TAKE, 1)].next_alert_at == at(9, 15)  # no warnings: breach only


def test_taking_stops_take_and_escalating_hands_off(
    clock, ola_targets, requester, agent_l1, category
):
    ticket = _new(requester)
    services.ticket_triage(
        ticket=ticket,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
    )
    clock.to(at(9, 10))
    services.ticket_take(ticket=ticket, actor=agent_l1)
    clock.to(at(9, 20))
    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="Network")

    clocks = ola_of(ticket)
    assert clocks[(Tier.L1, TAKE, 1)].state == ClockState.MET
    assert clocks[(Tier.L1, TAKE, 1)].stopped_at == at(9, 10)
    assert clocks[(Tier.L1, HANDOFF, 1)].state == ClockState.MET
    assert clocks[(Tier.L1, HANDOFF, 1)].stopped_at == at(9, 20)
    assert clocks[(Tier.L2, TAKE, 1)].due_at == at(10, 20)
    assert clocks[(Tier.L2, HANDOFF, 1)].due_at == at(13, 20)


def test_a_late_take_is_breached(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    clock.to(at(9, 40))
    services.ticket_take(ticket=ticket, actor=agent_l1)

    take = ola_of(ticket)[(Tier.L1, TAKE, 1)]
    assert take.state == ClockState.BREACHED
    assert take.due_at == at(9, 15)


def test_handing_on_before_anyone_took_it_stops_take_too(
    clock, ola_targets, make_ticket, agent_l1, agent_l2
):
    ticket = make_ticket(Status.ESCALATED)  # L1 took and escalated at 09:00
    clock.to(at(9, 30))
    services.ticket_deescalate(ticket=ticket, actor=agent_l2, reason="Back to L1")

    clocks = ola_of(ticket)
    assert clocks[(Tier.L2, TAKE, 1)].state == ClockState.MET
    assert clocks[(Tier.L2, HANDOFF, 1)].state == ClockState.MET
    # Back in L1: a new stay, the second cycle of each L1 clock.
    assert clocks[(Tier.L1, TAKE, 2)].state == ClockState.RUNNING
    assert clocks[(Tier.L1, HANDOFF, 2)].due_at == at(10)


def test_hold_pauses_and_resume_moves_the_due_time(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # taken at 09:00: handoff due 09:30
    clock.to(at(9, 10))
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Logs")
    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.state == ClockState.PAUSED
    assert handoff.next_alert_at is None  # paused before its due time: nothing to look for

    clock.to(at(10, 10))
    services.ticket_resume(ticket=ticket, actor=agent_l1)

    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.state == ClockState.RUNNING
    assert handoff.due_at == at(10, 30)
    assert handoff.paused == timedelta(hours=1)


def test_a_pause_after_the_due_time_never_moves_it(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 45))
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Logs")
    clock.to(at(11))
    services.ticket_resume(ticket=ticket, actor=agent_l1)
    clock.to(at(11, 5))
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="Done", code=ClosureCode.FIXED)

    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.due_at == at(9, 30)
    assert handoff.state == ClockState.BREACHED


def test_a_priority_change_recomputes_from_the_start(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 after triage (medium × medium)
    OlaTarget.objects.filter(tier=Tier.L1, priority=1).update(handoff_within=timedelta(minutes=10))
    clock.to(at(9, 5))
    services.ticket_update(ticket=ticket, actor=agent_l1, priority=1, reason="Whole office down")

    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.priority == 1
    assert handoff.due_at == at(9, 10)
    assert handoff.next_alert_at == at(9, 10)


def test_a_recompute_that_puts_the_due_time_in_the_past_is_a_breach_at_that_time(
    clock, ola_targets, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    OlaTarget.objects.filter(tier=Tier.L1, priority=1).update(handoff_within=timedelta(minutes=10))
    clock.to(at(9, 20))
    services.ticket_update(ticket=ticket, actor=agent_l1, priority=1, reason="Whole office down")
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="Done", code=ClosureCode.FIXED)

    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.state == ClockState.BREACHED
    assert handoff.due_at == at(9, 10)


def test_cancel_before_the_due_time_is_neither_met_nor_breached(
    clock, ola_targets, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 20))
    services.ticket_cancel(ticket=ticket, actor=agent_l1, code=ClosureCode.DUPLICATE)

    assert ola_of(ticket)[(Tier.L1, HANDOFF, 1)].state == ClockState.CANCELLED


def test_cancel_after_the_due_time_counts_as_breached(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 45))
    services.ticket_cancel(ticket=ticket, actor=agent_l1, code=ClosureCode.DUPLICATE)

    handoff = ola_of(ticket)[(Tier.L1, HANDOFF, 1)]
    assert handoff.state == ClockState.BREACHED
    assert handoff.next_alert_at == at(9, 30)  # the breach is still recorded, once


def test_resolving_meets_the_handoff_and_a_reopen_starts_a_new_stay(
    clock, ola_targets, make_ticket, agent_l1, requester
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 20))
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="Done", code=ClosureCode.FIXED)
    assert ola_of(ticket)[(Tier.L1, HANDOFF, 1)].state == ClockState.MET

    clock.to(at(11))
    services.ticket_reopen(ticket=ticket, actor=requester, reason="Still broken")

    clocks = ola_of(ticket)
    assert clocks[(Tier.L1, HANDOFF, 2)].started_at == at(11)
    assert clocks[(Tier.L1, HANDOFF, 2)].state == ClockState.RUNNING
    # Still assigned to the agent: nobody has to take it again.
    assert (Tier.L1, TAKE, 2) not in clocks


def test_a_p1_routed_to_l3_runs_l3s_clocks(clock, ola_targets, requester, agent_l1, category):
    ticket = _new(requester)
    services.ticket_triage(
        ticket=ticket,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact=Level.HIGH,
        urgency=Level.HIGH,
    )

    clocks = ola_of(ticket)
    assert clocks[(Tier.L1, TAKE, 1)].state == ClockState.MET  # L1 handed it on by triage
    assert clocks[(Tier.L3, HANDOFF, 1)].state == ClockState.RUNNING
    assert (Tier.L3, TAKE, 1) not in clocks  # L3 has no take target in the fixture
