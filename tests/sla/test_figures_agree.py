"""Every SLA figure agrees with the clocks (issue 18; DESIGN.md, SLA "Exact rules"): verdicts
and day counts revised on recompute, pauses after a moment never move it, a late cancel is a
breach, and the replay orders one instant's writes as they were written."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from reports.forms import Filters, Period
from reports.selectors import dashboard
from sla.models import (
    ClockState,
    Metric,
    SlaEvent,
    SlaEventKind,
    SlaOutcome,
    SlaOutcomeDay,
    SlaTarget,
)
from sla.services import clocks_replay
from sla.sweep import sla_sweep
from tests.sla.conftest import DAY, at, clocks_of
from tickets import services
from tickets.models import ClosureCode, Level, Status

pytestmark = pytest.mark.django_db

FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION
CLOCK_FIELDS = [
    "state",
    "priority",
    "started_at",
    "target",
    "paused",
    "pauses",
    "at_risk_at",
    "warning_at",
    "due_at",
    "stopped_at",
]


def _create(requester, urgency=Level.MEDIUM):
    """Provisional priority: impact low × urgency (medium: P4, high: P3)."""
    return services.ticket_create(
        requester=requester, title="VPN down", description="Since 8:00", urgency=urgency
    )


def _triage(ticket, agent, category, impact, urgency):
    return services.ticket_triage(
        ticket=ticket,
        actor=agent,
        kind="incident",
        category=category,
        impact=impact,
        urgency=urgency,
    )


def _verdicts(ticket):
    return {
        (o.metric, o.cycle): (o.met, o.at, o.priority)
        for o in SlaOutcome.objects.filter(ticket=ticket)
    }


def _days(metric):
    """(priority, met, breached) of the day rows that count anything for `metric`."""
    return sorted(
        (row.priority, row.met, row.breached)
        for row in SlaOutcomeDay.objects.filter(metric=metric)
        if row.met or row.breached
    )


def _assert_replay_matches(ticket):
    live = {k: [getattr(c, f) for f in CLOCK_FIELDS] for k, c in clocks_of(ticket).items()}
    replayed = {
        (c.metric, c.cycle): [getattr(c, f) for f in CLOCK_FIELDS]
        for c in clocks_replay(ticket=ticket)
    }
    assert replayed == live


def _assert_verified(ticket=None):
    out = StringIO()
    args = ["--ticket", str(ticket.pk)] if ticket else []
    call_command("sla_verify", *args, stdout=out)
    assert "every figure agrees with the clocks" in out.getvalue()


# --- 1. verdicts follow a recompute --------------------------------------------------------------


def test_a_priority_raise_after_the_breach_moves_the_verdict_to_the_new_due_time(
    clock, requester, agent_l1, category
):
    ticket = _create(requester)  # provisional P4 at 09:00: first response due 12:00
    clock.to(at(12) + timedelta(seconds=10))
    sla_sweep()
    assert _verdicts(ticket) == {(FR, 1): (False, at(12), 4)}

    clock.to(at(13))
    _triage(ticket, agent_l1, category, Level.HIGH, Level.MEDIUM)  # P2: due 10:00

    first = clocks_of(ticket)[(FR, 1)]
    assert (first.due_at, first.state) == (at(10), ClockState.RUNNING)
    # A breach's time is its due time, even when a recompute puts it in the past.
    assert _verdicts(ticket) == {(FR, 1): (False, at(10), 2)}
    assert _days(FR) == [(2, 0, 1)]  # moved from P4's count to P2's
    # The breach that was recorded and notified stays as it was.
    event = SlaEvent.objects.get(ticket=ticket, metric=FR, kind=SlaEventKind.BREACH)
    assert event.due_at == at(12)
    sla_sweep()  # nothing new to record, nothing counted twice
    assert SlaEvent.objects.filter(ticket=ticket, metric=FR).count() == 1
    assert _days(FR) == [(2, 0, 1)]
    _assert_verified()


def test_a_revised_verdict_moves_from_its_old_day_to_its_new_one(
    clock, requester, agent_l1, category
):
    ticket = _create(requester, urgency=Level.LOW)  # provisional P5: resolution due in 72 h
    clock.to(at(9, 1, days=3))
    sla_sweep()
    assert _verdicts(ticket)[(RES, 1)] == (False, at(9, days=3), 5)

    clock.to(at(10, days=3))
    _triage(ticket, agent_l1, category, Level.HIGH, Level.HIGH)  # P1: due 13:00 on the first day

    assert _verdicts(ticket)[(RES, 1)] == (False, at(13), 1)
    rows = {
        (str(row.day), row.priority): (row.met, row.breached)
        for row in SlaOutcomeDay.objects.filter(metric=RES)
    }
    assert rows == {("2025-03-06", 5): (0, 0), ("2025-03-03", 1): (0, 1)}
    _assert_verified()


def test_a_priority_lowered_after_the_breach_and_a_reply_in_time_make_the_clock_met(
    clock, requester, agent_l1, category
):
    ticket = _create(requester, urgency=Level.HIGH)  # provisional P3: first response due 11:00
    clock.to(at(11) + timedelta(seconds=5))
    sla_sweep()
    assert _verdicts(ticket) == {(FR, 1): (False, at(11), 3)}

    clock.to(at(11, 30))
    _triage(ticket, agent_l1, category, Level.LOW, Level.LOW)  # P5: due 12:00
    assert _verdicts(ticket) == {}  # no longer breached
    assert _days(FR) == []
    _assert_verified()

    clock.to(at(11, 45))
    services.comment_create(ticket=ticket, actor=agent_l1, body="On it.")

    assert clocks_of(ticket)[(FR, 1)].state == ClockState.MET
    assert _verdicts(ticket) == {(FR, 1): (True, at(11, 45), 5)}
    assert _days(FR) == [(5, 1, 0)]
    _assert_replay_matches(ticket)
    _assert_verified()


def test_a_lowered_priority_that_is_breached_again_is_counted_again_at_its_new_due_time(
    clock, requester, agent_l1, category
):
    ticket = _create(requester, urgency=Level.HIGH)  # P3: first response due 11:00
    clock.to(at(11) + timedelta(seconds=5))
    sla_sweep()
    clock.to(at(11, 30))
    _triage(ticket, agent_l1, category, Level.LOW, Level.LOW)  # P5: due 12:00
    clock.to(at(12, 1))
    sla_sweep()  # the breach is counted again; it was recorded and notified once

    assert _verdicts(ticket) == {(FR, 1): (False, at(12), 5)}
    assert _days(FR) == [(5, 0, 1)]
    assert SlaEvent.objects.filter(ticket=ticket, metric=FR, kind=SlaEventKind.BREACH).count() == 1
    _assert_verified()


def test_recompute_revises_the_verdicts_and_the_day_counts(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 at 09:00: first response due 11:00
    clock.to(at(10, 30))
    services.comment_create(ticket=ticket, actor=agent_l1, body="On it.")
    assert _verdicts(ticket) == {(FR, 1): (True, at(10, 30), 3)}

    SlaTarget.objects.filter(priority=3).update(first_response=timedelta(hours=1))
    call_command("sla_recompute", stdout=StringIO())

    first = clocks_of(ticket)[(FR, 1)]
    assert (first.state, first.due_at) == (ClockState.BREACHED, at(10))
    assert _verdicts(ticket) == {}  # the met verdict is gone; the breach is owed to the sweep
    assert _days(FR) == []
    _assert_verified()
    sla_sweep()
    assert _verdicts(ticket) == {(FR, 1): (False, at(10), 3)}
    assert _days(FR) == [(3, 0, 1)]
    _assert_verified()


# --- 2. a pause that begins after a moment never moves it ----------------------------------------


def test_a_hold_after_the_breach_never_moves_the_due_time(
    clock, requester, agent_l1, agent_l2, category
):
    ticket = _create(requester, urgency=Level.HIGH)  # provisional P3
    clock.to(at(9, 1))
    ticket = _triage(ticket, agent_l1, category, Level.HIGH, Level.MEDIUM)  # P2: due 17:00
    assert clocks_of(ticket)[(RES, 1)].due_at == at(17)
    clock.to(at(17, 1))
    sla_sweep()  # the breach escalates the ticket to L2
    clock.to(at(17, 30))
    ticket = services.ticket_take(ticket=ticket, actor=agent_l2)
    clock.to(at(18))
    ticket = services.ticket_hold(ticket=ticket, actor=agent_l2)
    clock.to(at(20))
    ticket = services.ticket_resume(ticket=ticket, actor=agent_l2)

    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.due_at, resolution.paused) == (at(17), timedelta(hours=2))
    assert resolution.state == ClockState.RUNNING and resolution.next_alert_at is None
    assert _verdicts(ticket)[(RES, 1)] == (False, at(17), 2)

    clock.to(at(21))
    services.ticket_resolve(ticket=ticket, actor=agent_l2, summary="ok", code=ClosureCode.FIXED)
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.state, resolution.due_at) == (ClockState.BREACHED, at(17))
    ticket.refresh_from_db()
    assert ticket.time_to_resolve == timedelta(hours=12) - timedelta(hours=2)  # still subtracted
    _assert_replay_matches(ticket)
    _assert_verified()


def test_a_hold_moves_only_the_moments_it_began_before(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 at 09:00: resolution 24 h
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.at_risk_at, resolution.warning_at, resolution.due_at) == (
        at(3, days=1),
        at(6, 36, days=1),
        at(9, days=1),
    )
    clock.to(at(4, days=1))  # past 75 %: that moment is fixed
    ticket = services.ticket_hold(ticket=ticket, actor=agent_l1)
    clock.to(at(5, days=1))
    ticket = services.ticket_resume(ticket=ticket, actor=agent_l1)

    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.at_risk_at, resolution.warning_at, resolution.due_at) == (
        at(3, days=1),
        at(7, 36, days=1),
        at(10, days=1),
    )
    _assert_replay_matches(ticket)


def test_a_new_target_counts_only_the_pauses_that_began_before_its_moments(
    clock, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution due 09:00 tomorrow
    clock.to(at(14))
    ticket = services.ticket_hold(ticket=ticket, actor=agent_l1)
    clock.to(at(16))
    ticket = services.ticket_resume(ticket=ticket, actor=agent_l1)
    clock.to(at(17))
    services.ticket_update(ticket=ticket, actor=agent_l1, priority=1, reason="Whole office down")
    # P1: 4 h from 09:00 is 13:00, before the hold began at 14:00: it moves nothing.
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.due_at, resolution.paused) == (at(13), timedelta(hours=2))
    _assert_replay_matches(ticket)


# --- 3. cancel -----------------------------------------------------------------------------------


def _compliance(now):
    board = dashboard(
        period=Period(key="custom", start=DAY, end=now, bucket="day"), filters=Filters(), now=now
    )
    return {
        metric: (c.met, c.breached) for metric, c in board.compliance.items() if c.met or c.breached
    }


def test_a_clock_cancelled_at_its_due_time_counts_neither_way(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: first response due 11:00
    clock.to(at(11))
    services.ticket_cancel(ticket=ticket, actor=agent_l1, code=ClosureCode.DUPLICATE)
    sla_sweep()

    assert {c.state for c in clocks_of(ticket).values()} == {ClockState.CANCELLED}
    assert _verdicts(ticket) == {}
    assert not SlaEvent.objects.filter(ticket=ticket, kind=SlaEventKind.BREACH).exists()
    assert _compliance(at(12)) == {}
    _assert_verified()


def test_a_clock_cancelled_after_its_due_time_counts_as_breached(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: first response due 11:00
    clock.to(at(11) + timedelta(seconds=20))  # before the sweep saw it
    services.ticket_cancel(ticket=ticket, actor=agent_l1, code=ClosureCode.DUPLICATE)

    clocks = clocks_of(ticket)
    assert clocks[(FR, 1)].state == ClockState.BREACHED
    assert clocks[(RES, 1)].state == ClockState.CANCELLED
    assert _compliance(at(12)) == {FR: (0, 1)}  # counted from the clock until the sweep runs
    _assert_verified()
    sla_sweep()
    assert _verdicts(ticket) == {(FR, 1): (False, at(11), 3)}
    assert SlaEvent.objects.filter(ticket=ticket, metric=FR, kind=SlaEventKind.BREACH).exists()
    assert _compliance(at(12)) == {FR: (0, 1)}
    _assert_replay_matches(ticket)
    _assert_verified()


def test_the_dashboard_help_says_what_a_cancelled_clock_counts_as(client, manager):
    client.force_login(manager)
    html = client.get("/reports/sla/").content.decode()
    assert "A clock cancelled at or before its due time counts neither way" in html
    assert "one cancelled after it counts as breached" in html


# --- 5. one instant, in the order written --------------------------------------------------------


needs_write_order = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the write-order sequence is PostgreSQL's"
)


@needs_write_order
def test_a_reply_written_before_a_priority_raise_in_the_same_instant_is_met(
    clock, requester, agent_l1, category
):
    ticket = _create(requester)  # provisional P4: first response due 12:00
    clock.to(at(11, 30))
    services.comment_create(ticket=ticket, actor=agent_l1, body="Looking into it.")
    _triage(ticket, agent_l1, category, Level.HIGH, Level.MEDIUM)  # P2 (due 10:00), same instant

    assert clocks_of(ticket)[(FR, 1)].state == ClockState.MET
    _assert_replay_matches(ticket)
    _assert_verified()


@needs_write_order
def test_a_priority_raise_written_before_a_reply_in_the_same_instant_breaches(
    clock, requester, agent_l1, category
):
    ticket = _create(requester)
    clock.to(at(11, 30))
    _triage(ticket, agent_l1, category, Level.HIGH, Level.MEDIUM)  # P2: due 10:00
    services.comment_create(ticket=ticket, actor=agent_l1, body="Looking into it.")

    assert clocks_of(ticket)[(FR, 1)].state == ClockState.BREACHED
    _assert_replay_matches(ticket)
    _assert_verified()
