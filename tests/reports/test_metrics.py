"""Every figure of the dashboard on the hand-built day of conftest.build_day, worked out by
hand from the timeline in its docstring and compared exactly."""

import pytest

from escalation.models import Tier
from reports.forms import Filters
from reports.selectors import dashboard, figure_rows
from sla.models import ClockState, Metric, SlaClock
from tests.reports.conftest import NOW, PERIOD
from tickets.models import Status

pytestmark = pytest.mark.django_db

FR, NR, RES = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION
H = 3600.0


def test_the_clocks_are_the_real_ones(day):
    t2 = day.tickets["T2"]
    frc = SlaClock.objects.get(ticket=t2, metric=FR)
    assert frc.state == ClockState.BREACHED
    resolution = SlaClock.objects.get(ticket=t2, metric=RES)
    assert resolution.paused.total_seconds() == 2 * H
    assert SlaClock.objects.filter(ticket=day.tickets["T3"], metric=RES).count() == 2
    assert set(
        SlaClock.objects.filter(ticket=day.tickets["T7"]).values_list("state", flat=True)
    ) == {ClockState.CANCELLED}


def test_first_response_times(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    # In the period: T1 0.5 h, T5 0.5 h, T3 1 h (resolving is the reply), T4 1 h, T2 2 h.
    # T8's reply was the day before: not counted.
    values = sorted([0.5 * H, 0.5 * H, 1 * H, 1 * H, 2 * H])
    fr = board.first_response
    assert fr.count == 5
    assert fr.mean == sum(values) / 5 == 1 * H
    assert fr.median == values[2] == 1 * H
    # p90: position 0.9 × 4 = 3.6, between the 4th and 5th values.
    assert fr.p90 == values[3] + 0.6 * (values[4] - values[3]) == 5760.0


def test_time_to_resolve_minus_pauses_to_the_last_resolution(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    # T8 5 h (created the day before), T1 2 h, T2 9 h − 2 h paused, T3 6 h − 1 h paused (to
    # its second resolution; its first is not counted apart), T4 9 h.
    values = sorted([5 * H, 2 * H, 7 * H, 5 * H, 9 * H])
    mttr = board.resolution
    assert mttr.count == 5
    assert mttr.mean == sum(values) / 5 == 20160.0
    assert mttr.median == 5 * H
    assert mttr.p90 == values[3] + 0.6 * (values[4] - values[3]) == 29520.0
    assert board.mttr_goal_met is True
    assert [(b.low_hours, b.count) for b in board.histogram] == [
        (0, 0),
        (1, 1),
        (4, 3),
        (8, 1),
        (24, 0),
        (48, 0),
        (72, 0),
    ]


def test_rates_over_the_tickets_resolved_in_the_period(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    assert (board.escalation.numerator, board.escalation.denominator) == (1, 5)  # T4
    assert board.escalation.percent == 20.0
    assert (board.first_contact.numerator, board.first_contact.percent) == (4, 80.0)
    assert (board.reopen.numerator, board.reopen.percent) == (1, 20.0)  # T3


def test_compliance_per_metric_priority_tier_and_category(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    # First response: met T1, T3, T4, T5; breached T2 (due 02:00). T8's met the day before.
    assert (board.compliance[FR].met, board.compliance[FR].breached) == (4, 1)
    assert board.compliance[FR].percent == 80.0
    # Next response: T2's, met at 06:30.
    assert (board.compliance[NR].met, board.compliance[NR].breached) == (1, 0)
    # Resolution: met T8, T1, T2, T3 twice (both cycles), T4; T5 still running past 08:00.
    assert (board.compliance[RES].met, board.compliance[RES].breached) == (6, 1)
    assert board.compliance[RES].percent == 85.7  # 6/7, one decimal
    assert (board.compliance_total.met, board.compliance_total.breached) == (11, 2)
    assert board.breaches == 2

    by_priority = {row.key: row for row in board.by_priority}
    assert set(by_priority) == {2, 3}
    assert (by_priority[2].total.met, by_priority[2].total.breached) == (3, 2)
    assert by_priority[2].total.percent == 60.0
    assert by_priority[2].by_metric[FR].percent == 50.0
    assert (by_priority[3].total.met, by_priority[3].total.breached) == (8, 0)

    by_tier = {row.key: row for row in board.by_tier}
    assert (by_tier[Tier.L1].total.met, by_tier[Tier.L1].total.breached) == (9, 2)
    assert (by_tier[Tier.L2].total.met, by_tier[Tier.L2].total.breached) == (2, 0)

    by_category = {row.key: row for row in board.by_category}
    assert (
        by_category[day.other_category.pk].total.met,
        by_category[day.category.pk].total.met,
    ) == (2, 9)
    assert by_category[day.category.pk].total.percent == 81.8  # 9/11


def test_at_risk_backlog_and_trend(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    assert board.at_risk_count == 1
    [risk] = board.at_risk
    assert (risk.ticket_id, risk.metric) == (day.tickets["T6"].pk, FR)
    # A filter keeps the at-risk clocks of the tickets it matches, and only those.
    t6 = day.tickets["T6"]
    same = Filters(priority=t6.priority, tier=t6.tier, category_id=t6.category_id)
    kept = dashboard(period=PERIOD, filters=same, now=NOW)
    assert kept.at_risk_count == 1 and [r.ticket_id for r in kept.at_risk] == [t6.pk]
    other = dashboard(period=PERIOD, filters=Filters(kind="service_request"), now=NOW)
    assert (other.at_risk_count, other.at_risk) == (0, [])
    assert board.backlog.counts == {
        (Status.IN_DIAGNOSIS, Tier.L1): 1,  # T5
        (Status.PRIORITIZED, Tier.L1): 1,  # T6
    }
    [point] = board.trend
    assert point.start == PERIOD.start.date()
    assert (point.created, point.resolved, point.met, point.breached) == (7, 5, 11, 2)
    assert point.mttr_mean == 20160.0
    assert point.first_response_mean == 1 * H


def test_filters_narrow_every_figure(day):
    board = dashboard(period=PERIOD, filters=Filters(priority=2), now=NOW)
    assert board.first_response.count == 2  # T2, T5
    assert board.resolution.count == 1 and board.resolution.mean == 7 * H  # T2
    assert (board.compliance_total.met, board.compliance_total.breached) == (3, 2)
    assert board.at_risk_count == 0

    by_tier = dashboard(period=PERIOD, filters=Filters(tier=Tier.L2), now=NOW)
    assert by_tier.resolution.count == 1 and by_tier.resolution.mean == 9 * H  # T4
    assert by_tier.escalation.percent == 100.0

    by_category = dashboard(
        period=PERIOD, filters=Filters(category_id=day.other_category.pk), now=NOW
    )
    assert by_category.resolution.count == 1 and by_category.resolution.mean == 2 * H  # T1


def test_the_csv_rows_are_the_tickets_behind_the_figures(day):
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    header, rows = figure_rows(figure="resolved", period=PERIOD, filters=Filters(), now=NOW)
    rows = list(rows)
    seconds = [row[header.index("seconds")] for row in rows]
    assert len(rows) == board.resolution.count
    assert sum(seconds) / len(seconds) == board.resolution.mean

    header, rows = figure_rows(figure="breached", period=PERIOD, filters=Filters(), now=NOW)
    rows = list(rows)
    assert len(rows) == board.breaches
    assert {(row[header.index("id")], row[header.index("metric")]) for row in rows} == {
        (day.tickets["T2"].pk, FR),
        (day.tickets["T5"].pk, RES),
    }
