"""The OLA sweep records each breach once and tells the breached tier's leads (issue 22)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.models import Tier
from notifications.models import Notification, NotificationKind
from ola.models import OlaEvent, OlaMetric
from ola.sweep import ola_events_apply, ola_record_due, ola_sweep
from sla.models import ClockState
from sla.sweep import sla_sweep
from tests.ola.conftest import ola_of
from tests.sla.conftest import at
from tickets import services
from tickets.models import EventKind, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_a_breach_is_recorded_once_and_its_tier_lead_is_notified(
    clock, ola_targets, leads, make_ticket
):
    lead_l1, _lead_l2 = leads
    ticket = make_ticket(Status.PRIORITIZED)  # nobody took it: L1 take due 09:15

    assert ola_sweep(now=at(9, 10)).recorded == 0
    first = ola_sweep(now=at(9, 16))
    again = ola_sweep(now=at(9, 17))

    assert (first.recorded, first.applied) == (1, 1)
    assert (again.recorded, again.applied) == (0, 0)
    event = OlaEvent.objects.get()
    assert (event.tier, event.metric, event.due_at) == (Tier.L1, OlaMetric.TAKE, at(9, 15))
    assert event.applied_at is not None
    notes = Notification.objects.filter(kind=NotificationKind.OLA_BREACH)
    assert [n.recipient for n in notes] == [lead_l1]  # L1's lead, not L2's
    assert notes[0].ticket == ticket
    timeline = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA)
    assert timeline.count() == 1
    assert "did not take" in timeline.get().reason
    assert timeline.get().reason_is_internal


def test_a_clock_stopped_in_time_is_never_recorded(clock, ola_targets, leads, make_ticket):
    make_ticket(Status.IN_DIAGNOSIS)  # taken at once
    result = ola_sweep(now=at(9, 20))
    assert result.recorded == 0
    assert not Notification.objects.filter(kind=NotificationKind.OLA_BREACH).exists()


def test_a_late_stop_before_the_sweep_is_still_recorded_once(
    clock, ola_targets, leads, make_ticket, agent_l1
):
    ticket = make_ticket(Status.PRIORITIZED)
    clock.to(at(9, 40))
    services.ticket_take(ticket=ticket, actor=agent_l1)  # 25 minutes late

    assert ola_record_due(now=at(9, 41)) == (2, 2)  # take (stopped late), handoff (running)
    assert ola_record_due(now=at(9, 42)) == (0, 0)
    assert set(OlaEvent.objects.values_list("metric", flat=True)) == {"take", "handoff"}


def test_a_paused_clock_is_not_breached_while_on_hold(
    clock, ola_targets, leads, make_ticket, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 10))
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Logs")

    assert ola_sweep(now=at(12)).recorded == 0


def test_a_recompute_never_notifies_a_breach_twice(
    clock, ola_targets, leads, make_ticket, agent_l1
):
    from ola.models import OlaTarget

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    ola_sweep(now=at(9, 31))  # handoff breached at 09:30
    OlaTarget.objects.filter(tier=Tier.L1, priority=1).update(handoff_within=timedelta(hours=2))
    clock.to(at(9, 40))
    services.ticket_update(ticket=ticket, actor=agent_l1, priority=1, reason="Critical after all")
    handoff = ola_of(ticket)[(Tier.L1, OlaMetric.HANDOFF, 1)]
    assert handoff.due_at == at(11)
    assert handoff.alert_level == 0  # owed again when it passes ...

    ola_sweep(now=at(11, 1))

    assert OlaEvent.objects.count() == 1  # ... but recorded and notified once only
    assert Notification.objects.filter(kind=NotificationKind.OLA_BREACH).count() == 1


def test_an_automatic_escalation_by_the_sla_sweep_moves_the_ola_clocks(
    clock, ola_targets, leads, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution due in 24 h
    later = at(9, days=2)
    clock.to(later)
    sla_sweep(now=later)  # escalates to L2 in one UPDATE, behind the hooks' back
    assert Ticket.objects.get(pk=ticket.pk).tier == Tier.L2

    result = ola_sweep(now=later)

    assert result.caught_up == 1
    clocks = ola_of(ticket)
    assert clocks[(Tier.L1, OlaMetric.HANDOFF, 1)].state == ClockState.BREACHED
    assert clocks[(Tier.L2, OlaMetric.TAKE, 1)].started_at == later
    assert clocks[(Tier.L2, OlaMetric.TAKE, 1)].state == ClockState.RUNNING


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk insert batching differs")
def test_applying_a_batch_costs_the_same_statements_whatever_its_size(
    clock, ola_targets, leads, make_ticket
):
    def statements(count: int) -> int:
        OlaEvent.objects.all().delete()
        Ticket.objects.all().delete()
        for _ in range(count):
            make_ticket(Status.PRIORITIZED)
        assert ola_record_due(now=at(10)) == (2 * count, 2 * count)
        with CaptureQueriesContext(connection) as ctx:
            assert ola_events_apply() == 2 * count
        return len(ctx.captured_queries)

    # 1 savepoint, 2 claim the breaches, 3 the tickets, 4 the leads, 5 insert the timeline,
    # 6 the recipients' muted kinds, 7 insert the outbox rows, 8 mark applied, 9 release;
    # 10-12 the next claim, finding nothing, in its savepoint.
    assert statements(3) == statements(30) == 12
