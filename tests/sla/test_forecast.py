"""The breach forecast's selector (sla.forecast) under a fixed `now`: which clocks it counts,
the window's edges, the groupings with each agent's load, paging, and the scope of a reader."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.models import Role
from escalation.models import Tier
from sla.forecast import (
    Cursor,
    ForecastScope,
    forecast,
    forecast_counts,
    forecast_scope_for,
)
from sla.models import ClockState, Metric, SlaClock
from tests.factories import AgentFactory, SupportGroupFactory, TicketFactory, UserFactory
from tickets.models import Status

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
EVERYONE = ForecastScope()


def add_clock(
    ticket, *, due_in: timedelta, state=ClockState.RUNNING, metric=Metric.RESOLUTION, now=NOW
):
    """A clock of `ticket` due `due_in` after NOW, written directly (the selector only reads)."""
    due_at = now + due_in
    stopped = state not in (ClockState.RUNNING, ClockState.PAUSED)
    return SlaClock.objects.create(
        ticket=ticket,
        metric=metric,
        cycle=1,
        priority=ticket.priority,
        started_at=due_at - timedelta(hours=8),
        target=timedelta(hours=8),
        at_risk_at=due_at - timedelta(hours=2),
        warning_at=due_at - timedelta(minutes=48),
        due_at=due_at,
        state=state,
        paused_since=now - timedelta(minutes=5) if state == ClockState.PAUSED else None,
        stopped_at=now - timedelta(minutes=5) if stopped else None,
    )


def ticket(**fields):
    return TicketFactory(status=fields.pop("status", Status.IN_DIAGNOSIS), **fields)


# --- what counts ----------------------------------------------------------------------------


def test_only_running_clocks_due_within_the_window_are_forecast():
    due = add_clock(ticket(), due_in=timedelta(hours=2))
    add_clock(ticket(), due_in=timedelta(hours=2), state=ClockState.PAUSED)
    add_clock(ticket(), due_in=timedelta(hours=2), state=ClockState.MET)
    add_clock(ticket(), due_in=timedelta(hours=2), state=ClockState.CANCELLED)
    add_clock(ticket(), due_in=timedelta(hours=5))  # beyond 4 h
    board = forecast(hours=4, scope=EVERYONE, now=NOW)
    assert board.total == 1
    assert [item.clock_id for item in board.items] == [due.pk]
    assert board.items[0].seconds_left == 2 * 3600
    assert board.until == NOW + timedelta(hours=4)


def test_the_window_is_open_at_now_and_closed_at_its_end():
    at_now = add_clock(ticket(), due_in=timedelta(0))
    at_end = add_clock(ticket(), due_in=timedelta(hours=1))
    add_clock(ticket(), due_in=timedelta(hours=1, microseconds=1))
    board = forecast(hours=1, scope=EVERYONE, now=NOW)
    assert [item.clock_id for item in board.items] == [at_end.pk]
    # Due exactly now: already breached, counted apart as overdue, never forecast.
    assert board.overdue == 1
    assert at_now.pk not in [item.clock_id for item in board.items]


def test_running_clocks_that_fell_due_in_the_last_n_hours_are_overdue_not_forecast():
    add_clock(ticket(), due_in=-timedelta(minutes=1))
    add_clock(ticket(), due_in=-timedelta(hours=23))
    add_clock(ticket(), due_in=-timedelta(hours=25))  # older than the window looking back
    add_clock(ticket(), due_in=-timedelta(hours=1), state=ClockState.PAUSED)
    board = forecast(hours=24, scope=EVERYONE, now=NOW)
    assert (board.total, board.overdue, board.items) == (0, 2, [])
    assert forecast(hours=1, scope=EVERYONE, now=NOW).overdue == 1


def test_each_clock_counts_so_a_ticket_due_twice_counts_twice():
    both = ticket()
    add_clock(both, due_in=timedelta(minutes=30), metric=Metric.FIRST_RESPONSE)
    add_clock(both, due_in=timedelta(hours=3), metric=Metric.RESOLUTION)
    board = forecast(hours=4, scope=EVERYONE, now=NOW)
    assert board.total == 2
    assert [str(item.label) for item in board.items] == ["First response", "Resolution"]


def test_the_counts_of_every_window_come_from_one_read(django_assert_num_queries):
    for hours in (0.5, 3, 7, 20, 30):
        add_clock(ticket(), due_in=timedelta(hours=hours))
    with django_assert_num_queries(1):
        counts = forecast_counts(now=NOW)
    assert counts == {1: 1, 4: 2, 8: 3, 24: 4}


def test_a_window_that_is_not_offered_is_refused():
    with pytest.raises(ValueError, match="hours"):
        forecast(hours=3, scope=EVERYONE, now=NOW)


# --- groupings and load ------------------------------------------------------------------------


def test_grouped_by_tier_group_and_assignee_with_each_agents_load():
    alice = AgentFactory(username="alice", display_name="Alice")
    bob = AgentFactory(username="bob", display_name="Bob")
    network = SupportGroupFactory(name="Network", tier=Tier.L2)
    add_clock(ticket(tier=Tier.L1, assignee=alice), due_in=timedelta(hours=1))
    add_clock(ticket(tier=Tier.L1, assignee=alice), due_in=timedelta(hours=2))
    add_clock(ticket(tier=Tier.L2, assignee=bob, support_group=network), due_in=timedelta(hours=3))
    add_clock(ticket(tier=Tier.L2, support_group=network), due_in=timedelta(hours=3))
    # Load is every open ticket of the agent, in the forecast or not; resolved ones are not.
    ticket(assignee=bob, status=Status.ON_HOLD)
    ticket(assignee=bob, status=Status.RESOLVED)
    ticket(assignee=alice, status=Status.CLOSED)

    board = forecast(hours=4, scope=EVERYONE, now=NOW)

    assert [(r.key, r.count) for r in board.by_tier] == [(Tier.L1, 2), (Tier.L2, 2)]
    assert [(r.label, r.count) for r in board.by_group] == [("Network", 2), ("No group", 2)]
    assert [(r.label, r.count, r.load) for r in board.by_assignee] == [
        ("Alice", 2, 2),
        ("Bob", 1, 2),  # the forecast ticket and the one on hold
        ("Unassigned", 1, None),
    ]
    assert board.by_assignee[-1].key is None


def test_nothing_due_gives_empty_groupings(django_assert_num_queries):
    add_clock(ticket(), due_in=timedelta(hours=30))
    # window and overdue counts (every source in one), the page (one per source: SLA, OLA), the
    # groupings (one); no names or loads to look up
    with django_assert_num_queries(4):
        board = forecast(hours=24, scope=EVERYONE, now=NOW)
    assert (board.total, board.by_tier, board.by_group, board.by_assignee) == (0, [], [], [])


# --- paging ------------------------------------------------------------------------------------


def test_the_list_is_paged_by_time_left_with_how_many_more():
    clocks = [add_clock(ticket(), due_in=timedelta(minutes=10 + n)) for n in range(7)]
    # Two clocks due at the same moment: the id breaks the tie, so no page repeats or skips one.
    clocks.append(add_clock(ticket(), due_in=timedelta(minutes=12)))
    expected = sorted(clocks, key=lambda c: (c.due_at, c.pk))

    first = forecast(hours=1, scope=EVERYONE, now=NOW, limit=3)
    assert [i.clock_id for i in first.items] == [c.pk for c in expected[:3]]
    assert (first.total, first.more) == (8, 5)
    second = forecast(
        hours=1, scope=EVERYONE, now=NOW, limit=3, cursor=Cursor.decode(first.next_cursor)
    )
    assert [i.clock_id for i in second.items] == [c.pk for c in expected[3:6]]
    assert second.more == 2
    third = forecast(
        hours=1, scope=EVERYONE, now=NOW, limit=3, cursor=Cursor.decode(second.next_cursor)
    )
    assert [i.clock_id for i in third.items] == [c.pk for c in expected[6:]]
    assert (third.more, third.next_cursor) == (0, None)
    # The counts and groupings are the window's, whatever the page.
    assert third.total == 8 and sum(r.count for r in third.by_tier) == 8


@pytest.mark.parametrize("value", ["", "x", "1-2", "1-9-3", "-1-0-3", "1" * 18 + "-0-1"])
def test_a_cursor_that_is_not_ours_is_a_value_error(value):
    with pytest.raises(ValueError):
        Cursor.decode(value)


def test_a_cursor_round_trips():
    cursor = Cursor(due_at=NOW + timedelta(microseconds=7), source=0, pk=42)
    assert Cursor.decode(cursor.encode()) == cursor


# --- scope -------------------------------------------------------------------------------------


def test_managers_see_every_tier_and_a_group_lead_the_tiers_of_their_groups():
    manager = UserFactory(role=Role.MANAGER)
    lead = AgentFactory()
    SupportGroupFactory(tier=Tier.L2, lead=lead)
    assert forecast_scope_for(user=manager) == ForecastScope(tiers=None)
    assert forecast_scope_for(user=lead) == ForecastScope(tiers=frozenset({Tier.L2}))


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.SECURITY_OFFICER, Role.AGENT])
def test_no_one_else_has_a_scope(role):
    user = UserFactory(role=role)
    assert forecast_scope_for(user=user) is None


def test_an_inactive_manager_has_no_scope():
    assert forecast_scope_for(user=UserFactory(role=Role.MANAGER, is_active=False)) is None


def test_a_tier_lead_sees_only_their_tiers():
    add_clock(ticket(tier=Tier.L1), due_in=timedelta(hours=1))
    mine = add_clock(ticket(tier=Tier.L2), due_in=timedelta(hours=2))
    add_clock(ticket(tier=Tier.L1), due_in=-timedelta(hours=1))
    board = forecast(hours=4, scope=ForecastScope(tiers=frozenset({Tier.L2})), now=NOW)
    assert [i.clock_id for i in board.items] == [mine.pk]
    assert (board.total, board.overdue) == (1, 0)
    assert [r.key for r in board.by_tier] == [Tier.L2]
    assert forecast_counts(now=NOW, scope=ForecastScope(tiers=frozenset({Tier.L2})))[4] == 1


# --- through the real services -----------------------------------------------------------------


def test_a_real_ticket_leaves_the_forecast_while_it_waits_on_the_requester(make_ticket, agent_l1):
    from tickets import services

    with time_machine.travel(NOW, tick=False):
        live = make_ticket(Status.IN_DIAGNOSIS)  # P3: first response in 2 h, resolution in 24 h
    board = forecast(hours=24, scope=EVERYONE, now=NOW + timedelta(hours=1))
    assert [str(i.label) for i in board.items] == ["First response", "Resolution"]
    assert {i.ticket_id for i in board.items} == {live.pk}
    # Three hours in, the first response is past due (breached), the resolution still ahead.
    board = forecast(hours=24, scope=EVERYONE, now=NOW + timedelta(hours=3))
    assert [str(i.label) for i in board.items] == ["Resolution"]
    assert board.overdue == 1

    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        services.ticket_hold(ticket=live, actor=agent_l1, reason="Need logs")
    # On hold the resolution clock is paused: it cannot breach until the requester answers.
    board = forecast(hours=24, scope=EVERYONE, now=NOW + timedelta(hours=4))
    assert (board.total, board.overdue) == (0, 1)
