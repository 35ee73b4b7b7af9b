"""The sweep records each threshold once and acts on it once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import SupportGroup, Tier
from notifications.models import Notification, NotificationKind
from sla import sweep
from sla.models import ClockState, Metric, SlaClock, SlaEvent, SlaEventKind, SlaPolicy
from sla.services import clocks_rebuild
from sla.sweep import sla_events_apply, sla_record_due, sla_sweep
from tests.factories import AgentFactory
from tests.sla.conftest import at, clocks_of
from tickets import services
from tickets.models import ClosureCode, EventKind, Status, TicketEvent

pytestmark = pytest.mark.django_db

FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def _events(ticket):
    return list(SlaEvent.objects.filter(ticket=ticket).order_by("id").values_list("metric", "kind"))


def _kinds(kind):
    return list(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


@pytest.fixture
def lead_l1():
    lead = AgentFactory(username="lead_l1", tier=Tier.L1)
    SupportGroup.objects.filter(tier=Tier.L1).update(lead=lead)
    return lead


def test_each_threshold_is_recorded_once_when_it_passes(clock, make_ticket, agent_l1, lead_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3 at 09:00: first response due 11:00
    assert ticket.assignee == agent_l1

    clock.to(at(10, 20))  # 66 %
    assert sla_sweep().recorded == 0
    clock.to(at(10, 31))  # past 75 % (10:30)
    assert sla_sweep().recorded == 1
    assert sla_sweep().recorded == 0  # a second sweep finds nothing new
    clock.to(at(10, 50))  # past 90 % (10:48)
    sla_sweep()
    clock.to(at(11, 1))  # past due
    sla_sweep()
    sla_sweep()

    assert _events(ticket) == [
        (FR, SlaEventKind.WARNING75),
        (FR, SlaEventKind.WARNING90),
        (FR, SlaEventKind.BREACH),
    ]
    assert clocks_of(ticket)[(FR, 1)].next_alert_at is None
    # each one on the timeline, with the system as the actor
    sla_timeline = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA)
    assert sla_timeline.count() == 3
    assert {e.actor_id for e in sla_timeline} == {None}
    # warnings to the assignee and the tier lead, once per threshold
    assert sorted(_kinds(NotificationKind.SLA_WARNING)) == sorted(
        ["agent_l1", "lead_l1", "agent_l1", "lead_l1"]
    )
    # a first-response breach: the assignee, then the lead and managers (hierarchical)
    assert _kinds(NotificationKind.SLA_BREACH) == ["agent_l1"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RAISED).count() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.IN_DIAGNOSIS, Tier.L1)  # no escalation


def test_a_clock_past_several_thresholds_records_only_the_highest(
    clock, make_ticket, manager, lead_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(12))  # first response: 150 % and nobody swept meanwhile (an outage)
    sla_sweep()

    assert _events(ticket) == [(FR, SlaEventKind.BREACH)]
    assert not Notification.objects.filter(kind=NotificationKind.SLA_WARNING).exists()
    assert sorted(_kinds(NotificationKind.RAISED_TO_MANAGER)) == ["lead_l1", "manager"]


def test_a_resolution_breach_escalates_one_tier_and_raises_to_the_managers(
    clock, make_ticket, manager
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution due tomorrow 09:00
    clock.to(at(9, 1, days=1))
    sla_sweep()
    sla_sweep()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.assignee_id) == (Status.ESCALATED, Tier.L2, None)
    escalation = TicketEvent.objects.get(ticket=ticket, transition="escalate_for_breach")
    assert (escalation.actor_id, escalation.from_status, escalation.reason_is_internal) == (
        None,
        Status.IN_DIAGNOSIS,
        True,
    )
    assert escalation.changes["tier"] == [1, 2]
    assert _kinds(NotificationKind.RAISED_TO_MANAGER).count("manager") == 2  # FR + resolution
    # the resolution clock keeps running: escalation never resets a clock
    resolution = clocks_of(ticket)[(RES, 1)]
    assert (resolution.state, resolution.due_at) == (ClockState.RUNNING, at(9, days=1))


def _resolve_late_and_reopen(ticket, *, agent, requester, clock) -> None:
    """Resolution (P3) was due tomorrow 09:00: resolved at 09:30, before the sweep saw the
    breach, and reopened at 09:40 (cycle 2, due the day after at 09:40)."""
    clock.to(at(9, 30, days=1))
    services.ticket_resolve(ticket=ticket, actor=agent, summary="Restarted it", code="fixed")
    clock.to(at(9, 40, days=1))
    services.ticket_reopen(ticket=ticket, actor=requester, reason="Still broken")


def test_a_late_breach_of_a_resolved_cycle_never_escalates_the_reopened_ticket(
    clock, make_ticket, agent_l1, requester, manager
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(8, days=1))
    sla_sweep()  # resolution at 96 %: its warning
    _resolve_late_and_reopen(ticket, agent=agent_l1, requester=requester, clock=clock)
    clock.to(at(9, 45, days=1))
    sla_sweep()

    assert (RES, SlaEventKind.BREACH) in _events(ticket)  # cycle 1's breach is recorded
    assert clocks_of(ticket)[(RES, 1)].state == ClockState.BREACHED
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.IN_DIAGNOSIS, Tier.L1)  # not escalated
    assert not TicketEvent.objects.filter(ticket=ticket, transition="escalate_for_breach").exists()
    # and notified: the breach still goes to the managers
    raised = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.RAISED)
    assert raised.filter(reason__contains="cycle 1").exists()


def test_when_both_cycles_breached_only_the_running_one_escalates_once(
    clock, make_ticket, agent_l1, requester, manager
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    _resolve_late_and_reopen(ticket, agent=agent_l1, requester=requester, clock=clock)
    clock.to(at(10, days=2))  # cycle 2 breached at 09:40 too; the first sweep in two days
    sla_sweep()

    breaches = SlaEvent.objects.filter(ticket=ticket, metric=RES, kind=SlaEventKind.BREACH)
    assert sorted(breaches.values_list("cycle", flat=True)) == [1, 2]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.ESCALATED, Tier.L2)  # L1 → L2, not L3
    escalation = TicketEvent.objects.get(ticket=ticket, transition="escalate_for_breach")
    assert "cycle 2" in escalation.reason


def test_no_escalation_at_l3_or_when_the_policy_opts_out(clock, make_ticket, settings):
    at_l3 = make_ticket(Status.IN_DIAGNOSIS)
    at_l3.__class__.objects.filter(pk=at_l3.pk).update(tier=Tier.L3)
    opted_out = make_ticket(Status.IN_DIAGNOSIS)
    SlaPolicy.objects.update(escalate_on_breach=False)
    clock.to(at(10, days=1))
    sla_sweep()

    for ticket in (at_l3, opted_out):
        ticket.refresh_from_db()
        assert ticket.status == Status.IN_DIAGNOSIS
        assert (RES, SlaEventKind.BREACH) in _events(ticket)


def test_the_setting_switches_automatic_escalation_off(clock, make_ticket, settings):
    settings.SLA_ESCALATE_ON_BREACH = False
    ticket = make_ticket(Status.PRIORITIZED)
    clock.to(at(10, days=1))
    sla_sweep()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.PRIORITIZED, Tier.L1)


def test_a_clock_stopped_late_before_any_sweep_still_records_its_breach_once(
    clock, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(11, 30))  # first response was due 11:00; the sweep was down
    services.comment_create(ticket=ticket, actor=agent_l1, body="sorry for the wait")
    clock.to(at(11, 31))
    sla_sweep()
    sla_sweep()

    assert _events(ticket) == [(FR, SlaEventKind.BREACH)]
    assert clocks_of(ticket)[(FR, 1)].state == ClockState.BREACHED


def test_a_clock_met_in_time_records_nothing_more(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10, 35))
    sla_sweep()  # 75 %
    services.comment_create(ticket=ticket, actor=agent_l1, body="on it")
    clock.to(at(12))
    sla_sweep()
    assert _events(ticket) == [(FR, SlaEventKind.WARNING75)]


def test_a_paused_clock_owes_only_what_it_reached_before_the_pause(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="hi")  # first response met
    clock.to(at(4, days=1))  # resolution (due tomorrow 09:00) at 79 %, nobody swept
    services.ticket_hold(ticket=ticket, actor=agent_l1)
    clock.to(at(12, days=3))  # long on hold
    sla_sweep()
    assert _events(ticket) == [(RES, SlaEventKind.WARNING75)]
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD


def test_a_warning_for_a_clock_stopped_since_notifies_nobody(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10, 35))
    sla_record_due()  # recorded, effects not yet applied
    services.comment_create(ticket=ticket, actor=agent_l1, body="on it")
    sla_events_apply()
    assert not Notification.objects.filter(kind=NotificationKind.SLA_WARNING).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA).count() == 1


def test_rebuilding_the_clocks_records_nothing_twice(clock, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10, 40))
    sla_sweep()
    clocks_rebuild(ticket=ticket)
    sla_sweep()
    clock.to(at(10, 50))
    sla_sweep()
    assert _events(ticket) == [(FR, SlaEventKind.WARNING75), (FR, SlaEventKind.WARNING90)]


def test_failed_effects_are_rolled_back_and_retried(clock, make_ticket, manager):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(11, 30))
    sla_record_due()
    boom = RuntimeError("boom")
    # the batch fails, and so does the event alone (the one-at-a-time path it falls back to)
    with (
        mock.patch("sla.sweep.sla_events_effects", side_effect=boom),
        mock.patch("sla.sweep.ticket_raise_to_manager", side_effect=boom),
    ):
        assert sla_events_apply() == 0
    event = SlaEvent.objects.get(ticket=ticket)
    assert (event.applied_at, event.attempts) == (None, 1)
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA).exists()

    assert sla_events_apply() == 1
    assert sla_events_apply() == 0
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA).count() == 1
    assert _kinds(NotificationKind.RAISED_TO_MANAGER) == ["manager"]


def test_one_bad_event_never_holds_up_the_rest_of_its_batch(clock, make_ticket, manager):
    tickets = [make_ticket(Status.IN_DIAGNOSIS) for _ in range(3)]
    clock.to(at(11, 30))  # three first-response breaches
    sla_record_due()
    bad = SlaEvent.objects.get(ticket=tickets[1])
    real_raise = sweep.ticket_raise_to_manager

    def raise_fails_for_the_bad_one(*, ticket, **kwargs):
        if ticket.pk == bad.ticket_id:
            raise RuntimeError("boom")
        return real_raise(ticket=ticket, **kwargs)

    with (
        mock.patch("sla.sweep.sla_events_effects", side_effect=RuntimeError("batch")),
        mock.patch("sla.sweep.ticket_raise_to_manager", side_effect=raise_fails_for_the_bad_one),
    ):
        assert sla_events_apply() == 2  # the batch fails; one at a time, two go through
    bad.refresh_from_db()
    assert (bad.applied_at, bad.attempts) == (None, 1)
    assert TicketEvent.objects.filter(kind=EventKind.RAISED).count() == 2

    assert sla_events_apply() == 1  # the next sweep: the bad one, as a batch of one
    assert TicketEvent.objects.filter(kind=EventKind.RAISED).count() == 3
    assert sorted(_kinds(NotificationKind.RAISED_TO_MANAGER)) == ["manager"] * 3


def _due_clocks(count: int, make_ticket) -> None:
    for _ in range(count):
        make_ticket(Status.NEW)


def test_one_record_batch_costs_the_same_queries_whatever_the_number_of_due_clocks(
    clock, make_ticket
):
    def queries(count: int) -> int:
        SlaClock.objects.all().delete()
        _due_clocks(count, make_ticket)
        with CaptureQueriesContext(connection) as ctx:
            seen, recorded = sla_record_due(now=at(9, days=30))
        assert (seen, recorded) == (2 * count, 2 * count)
        return len(ctx.captured_queries)

    # one batch: 1 savepoint (the test runs in a transaction), 2 claim the due clocks (FOR
    # UPDATE SKIP LOCKED), 3 insert the events (ON CONFLICT DO NOTHING), 4 update the clocks'
    # next thresholds; every clock breached, so the outcomes: 5 the tickets' attributes, 6 the
    # outcomes already recorded, 7 insert the new ones, 8 add them to their days; 9 release.
    assert queries(2) == queries(10) == 9


def test_cancelled_and_met_clocks_are_never_swept(clock, make_ticket, agent_l1):
    cancelled = make_ticket(Status.NEW)
    services.ticket_cancel(ticket=cancelled, actor=agent_l1, code=ClosureCode.DUPLICATE)
    clock.to(at(9, days=10))
    assert sla_sweep().clocks == 0
    assert not SlaEvent.objects.exists()


def test_breached_clock_at_its_exact_due_time_is_not_yet_breached(clock, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    sla_sweep(now=at(11))
    assert (FR, SlaEventKind.BREACH) not in _events(ticket)
    sla_sweep(now=at(11) + timedelta(microseconds=1))
    assert (FR, SlaEventKind.BREACH) in _events(ticket)
