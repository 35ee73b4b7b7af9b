"""The clock rules of DESIGN.md, driven through the ticket services with frozen time."""

from datetime import timedelta

import pytest

from sla.models import ClockState, Metric, SlaClock, SlaPolicy
from sla.services import clocks_replay
from tests.sla.conftest import at, clocks_of
from tickets import services
from tickets.models import ClosureCode, Level, Status

pytestmark = pytest.mark.django_db

FR, NR, RES = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION


def _create(requester, urgency=Level.MEDIUM):
    return services.ticket_create(
        requester=requester, title="VPN down", description="Since 8:00", urgency=urgency
    )


def _triage(ticket, agent, category, impact=Level.HIGH, urgency=Level.MEDIUM):
    return services.ticket_triage(
        ticket=ticket,
        actor=agent,
        kind="incident",
        category=category,
        impact=impact,
        urgency=urgency,
    )


def _assert_replay_matches(ticket):
    """The audit: replaying the ticket's events gives the clocks the hooks produced."""
    fields = ["started_at", "target", "paused", "due_at", "stopped_at", "state", "priority"]
    live = {k: [getattr(c, f) for f in fields] for k, c in clocks_of(ticket).items()}
    replayed = {
        (c.metric, c.cycle): [getattr(c, f) for f in fields] for c in clocks_replay(ticket=ticket)
    }
    assert replayed == live


def test_the_worked_example_of_the_design(clock, requester, agent_l1, category):
    # created 09:00 as provisional P4
    ticket = _create(requester)
    assert ticket.priority == 4 and ticket.priority_is_provisional
    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].due_at == at(12)
    assert clocks[(RES, 1)].due_at == at(9, days=2)

    # → prioritized P2 at 09:30 (first response now due 10:00, resolution 17:00)
    clock.to(at(9, 30))
    ticket = _triage(ticket, agent_l1, category)
    ticket = services.ticket_take(ticket=ticket, actor=agent_l1)
    assert ticket.priority == 2
    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].due_at == at(10)
    assert clocks[(RES, 1)].due_at == at(17)
    assert clocks[(FR, 1)].started_at == at(9)  # recomputed from its own start

    # → public reply 09:45 (first response met)
    clock.to(at(9, 45))
    services.comment_create(ticket=ticket, actor=agent_l1, body="Looking into it.")
    first = clocks_of(ticket)[(FR, 1)]
    assert (first.state, first.stopped_at) == (ClockState.MET, at(9, 45))

    # → hold 10:00
    clock.to(at(10))
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Need your VPN logs")
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.state, resolution.paused_since) == (ClockState.PAUSED, at(10))

    # → resume 12:00 (resolution now due 19:00) → requester writes 12:00 (next response 13:00):
    # the requester's message is what resumes the ticket.
    clock.to(at(12))
    services.comment_create(ticket=ticket, actor=requester, body="Here are the logs.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    clocks = clocks_of(ticket)
    assert clocks[(RES, 1)].state == ClockState.RUNNING
    assert clocks[(RES, 1)].paused == timedelta(hours=2)
    assert clocks[(RES, 1)].due_at == at(19)
    assert clocks[(NR, 1)].due_at == at(13)

    # → public reply 14:00 (next response breached at 13:00)
    clock.to(at(14))
    services.comment_create(ticket=ticket, actor=agent_l1, body="Found it.")
    next_response = clocks_of(ticket)[(NR, 1)]
    assert next_response.state == ClockState.BREACHED
    assert next_response.due_at == at(13)  # the breach time

    # → resolved 18:00 (resolution met)
    clock.to(at(18))
    services.ticket_resolve(
        ticket=ticket, actor=agent_l1, summary="Certificate renewed.", code=ClosureCode.FIXED
    )
    clocks = clocks_of(ticket)
    assert (clocks[(RES, 1)].state, clocks[(RES, 1)].stopped_at) == (ClockState.MET, at(18))
    assert sorted(clocks) == [(FR, 1), (NR, 1), (RES, 1)]
    assert not any(c.is_open for c in clocks.values())
    _assert_replay_matches(ticket)


def test_clocks_start_at_creation_on_the_provisional_priority(clock, requester):
    ticket = _create(requester, urgency=Level.HIGH)  # impact low × urgency high = P3

    clocks = clocks_of(ticket)
    assert {k: (c.priority, c.target, c.due_at) for k, c in clocks.items()} == {
        (FR, 1): (3, timedelta(hours=2), at(11)),
        (RES, 1): (3, timedelta(hours=24), at(9, days=1)),
    }
    assert all(c.state == ClockState.RUNNING for c in clocks.values())
    assert clocks[(FR, 1)].next_alert_at == at(10, 30)  # 75 % of 2 h


def test_internal_notes_and_early_requester_messages_do_not_touch_response_clocks(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 20))
    services.comment_create(ticket=ticket, actor=agent_l1, body="note", is_internal=True)
    services.comment_create(ticket=ticket, actor=requester, body="any news?")

    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].state == ClockState.RUNNING
    assert (NR, 1) not in clocks  # no next response before the first response


def test_next_response_starts_once_per_wait_and_stops_on_the_next_public_reply(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 after triage: responses 2 h
    services.comment_create(ticket=ticket, actor=agent_l1, body="hello")
    clock.to(at(10))
    services.comment_create(ticket=ticket, actor=requester, body="one")
    clock.to(at(10, 30))
    services.comment_create(ticket=ticket, actor=requester, body="two")  # already running
    clock.to(at(11))
    services.comment_create(ticket=ticket, actor=agent_l1, body="internal", is_internal=True)
    services.comment_create(ticket=ticket, actor=agent_l1, body="answer")
    clock.to(at(15))
    services.comment_create(ticket=ticket, actor=requester, body="three")

    clocks = clocks_of(ticket)
    assert (clocks[(NR, 1)].started_at, clocks[(NR, 1)].due_at) == (at(10), at(12))
    assert (clocks[(NR, 1)].state, clocks[(NR, 1)].stopped_at) == (ClockState.MET, at(11))
    assert (clocks[(NR, 2)].started_at, clocks[(NR, 2)].state) == (at(15), ClockState.RUNNING)
    _assert_replay_matches(ticket)


def test_a_priority_change_recomputes_running_clocks_and_a_past_due_time_stays_the_breach_time(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution 24 h → due tomorrow 09:00
    services.comment_create(ticket=ticket, actor=agent_l1, body="hello")
    clock.to(at(15))
    services.ticket_update(
        ticket=ticket, actor=agent_l1, impact=Level.HIGH, urgency=Level.HIGH, reason="All down"
    )  # → P1: resolution 4 h from 09:00 = 13:00, already past

    clocks = clocks_of(ticket)
    assert clocks[(RES, 1)].priority == 1
    assert clocks[(RES, 1)].due_at == at(13)
    assert clocks[(RES, 1)].state == ClockState.RUNNING
    assert clocks[(FR, 1)].target == timedelta(hours=2)  # stopped clocks are not recomputed

    clock.to(at(16))
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="ok", code=ClosureCode.FIXED)
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.state, resolution.due_at) == (ClockState.BREACHED, at(13))
    _assert_replay_matches(ticket)


def test_resolving_counts_as_the_public_reply(clock, requester, agent_l1, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 30))
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="ok", code=ClosureCode.FIXED)

    clocks = clocks_of(ticket)
    assert (clocks[(FR, 1)].state, clocks[(FR, 1)].stopped_at) == (ClockState.MET, at(9, 30))
    assert clocks[(RES, 1)].state == ClockState.MET


def test_a_reopen_starts_a_new_resolution_cycle_and_keeps_the_old_one(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(11))
    ticket = services.ticket_resolve(
        ticket=ticket, actor=agent_l1, summary="ok", code=ClosureCode.FIXED
    )
    clock.to(at(12))
    services.ticket_reopen(ticket=ticket, actor=requester, reason="Still broken")

    clocks = clocks_of(ticket)
    assert (clocks[(RES, 1)].state, clocks[(RES, 1)].stopped_at) == (ClockState.MET, at(11))
    assert clocks[(RES, 2)].state == ClockState.RUNNING
    assert (clocks[(RES, 2)].started_at, clocks[(RES, 2)].due_at) == (at(12), at(12, days=1))
    _assert_replay_matches(ticket)


def test_a_requester_reply_on_a_resolved_ticket_reopens_and_waits_for_an_answer(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.RESOLVED)
    clock.to(at(12))
    services.comment_create(ticket=ticket, actor=requester, body="No, it fails again")

    clocks = clocks_of(ticket)
    assert clocks[(RES, 2)].state == ClockState.RUNNING
    assert (clocks[(NR, 1)].started_at, clocks[(NR, 1)].state) == (at(12), ClockState.RUNNING)
    _assert_replay_matches(ticket)


@pytest.mark.parametrize("from_status", [Status.NEW, Status.IN_DIAGNOSIS, Status.ON_HOLD])
def test_cancel_cancels_the_running_clocks(clock, requester, agent_l1, make_ticket, from_status):
    ticket = make_ticket(from_status)
    clock.to(at(20))  # past the first-response target: that clock counts as breached
    services.ticket_cancel(ticket=ticket, actor=agent_l1, code=ClosureCode.DUPLICATE)

    clocks = clocks_of(ticket)
    assert clocks[(RES, 1)].state == ClockState.CANCELLED  # cancelled before its due time
    assert clocks[(RES, 1)].next_alert_at is None
    first = clocks[(FR, 1)]
    assert first.state == ClockState.BREACHED  # cancelled after it
    assert first.next_alert_at == first.due_at  # the sweep records the breach, once
    assert all(c.stopped_at == at(20) for c in clocks.values())
    _assert_replay_matches(ticket)


def test_hold_pauses_only_resolution_and_escalation_resets_nothing(
    clock, requester, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 10))
    services.ticket_hold(ticket=ticket, actor=agent_l1)
    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].state == ClockState.RUNNING  # response clocks never pause
    assert clocks[(RES, 1)].next_alert_at is None  # the sweep leaves a paused clock alone
    clock.to(at(11, 10))
    services.ticket_resume(ticket=ticket, actor=agent_l1)
    clock.to(at(11, 30))
    services.ticket_escalate(ticket=ticket, actor=agent_l1, reason="network")

    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.started_at, resolution.paused) == (at(9), timedelta(hours=2))
    assert resolution.due_at == at(11, days=1)
    _assert_replay_matches(ticket)


def test_a_contract_policy_with_business_hours_wins_over_the_default(
    clock, requester, organisation, agent_l1, category
):
    from datetime import time

    from sla.models import Calendar, CalendarHours, SlaTarget

    office = Calendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    for day in range(5):
        CalendarHours.objects.create(calendar=office, weekday=day, opens=time(9), closes=time(17))
    contract = SlaPolicy.objects.create(
        name="ACME contract", position=10, organisation=organisation, calendar=office
    )
    SlaTarget.objects.create(
        policy=contract,
        priority=4,
        first_response=timedelta(hours=4),
        resolution=timedelta(hours=16),
    )
    clock.to(at(15))  # Monday 15:00 UTC = 16:00 in Madrid
    ticket = _create(requester)  # P4

    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].policy_id == contract.pk
    # 1 h on Monday (16–17 Madrid), 3 h on Tuesday from 09:00 Madrid = 12:00 Madrid = 11:00 UTC
    assert clocks[(FR, 1)].due_at == at(11, days=1)
    # 16 h: 1 h Monday, 8 h Tuesday, 7 h Wednesday → Wednesday 16:00 Madrid
    assert clocks[(RES, 1)].due_at == at(15, days=2)

    # P2 is not in the contract: the default policy applies, 24×7.
    clock.to(at(15, 30))
    ticket = _triage(ticket, agent_l1, category)
    clocks = clocks_of(ticket)
    assert (clocks[(FR, 1)].policy_id, clocks[(FR, 1)].calendar_id) != (contract.pk, office.pk)
    assert clocks[(FR, 1)].due_at == at(16)
    _assert_replay_matches(ticket)


def test_without_a_matching_policy_there_are_no_clocks(clock, requester):
    SlaPolicy.objects.all().delete()
    ticket = _create(requester)
    assert not SlaClock.objects.filter(ticket=ticket).exists()
