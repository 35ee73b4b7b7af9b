"""Compliance from recorded verdicts (sla.SlaOutcome) and their day counts (SlaOutcomeDay):
the same figures whichever source serves a day, each clock counted once, as it was decided."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from escalation.models import Tier
from reports.buckets import Buckets
from reports.compliance import compliance_counts, whole_days
from reports.forms import Filters, Period
from reports.selectors import dashboard, figure_rows
from sla.models import Metric, SlaOutcome, SlaOutcomeDay
from sla.outcomes import outcome_days_rebuild, outcomes_backfill, times_to_resolve_backfill
from sla.sweep import sla_record_due
from tests.reports.conftest import NOW, PERIOD
from tickets import services
from tickets.models import ClosureCode, Level, Ticket

pytestmark = pytest.mark.django_db

FR, NR, RES = Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION


def _figures(board):
    return (
        {m: (c.met, c.breached) for m, c in board.compliance.items()},
        [(r.key, r.total.met, r.total.breached) for r in board.by_priority],
        [(r.key, r.total.met, r.total.breached) for r in board.by_tier],
        [(r.key, r.total.met, r.total.breached) for r in board.by_category],
        [(p.start, p.met, p.breached) for p in board.trend],
    )


def test_the_figures_are_the_same_before_and_after_the_sweep_records_the_breaches(day):
    before = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    # Before the sweep: the 11 met verdicts are recorded, the two breaches (T2's late first
    # response, T5's running resolution) are read from the clocks the sweep still owes.
    assert SlaOutcome.objects.filter(met=True).count() == 11 + 1  # + T8's first response
    assert not SlaOutcome.objects.filter(met=False).exists()

    sla_record_due(now=NOW)

    breaches = SlaOutcome.objects.filter(met=False)
    assert sorted((o.ticket.title, o.metric) for o in breaches) == [("T2", FR), ("T5", RES)]
    after = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    assert _figures(after) == _figures(before)
    assert (after.compliance_total.met, after.compliance_total.breached) == (11, 2)
    # and the CSV lists the same two breaches from their recorded verdicts
    header, rows = figure_rows(figure="breached", period=PERIOD, filters=Filters(), now=NOW)
    listed = [dict(zip(header, row, strict=True)) for row in rows]
    assert sorted((r["title"], r["metric"], r["verdict"]) for r in listed) == [
        ("T2", FR, "breached"),
        ("T5", RES, "breached"),
    ]


def test_each_day_is_counted_once_and_matches_its_verdicts(day):
    sla_record_due(now=NOW)
    sla_record_due(now=NOW)  # a second sweep finds nothing new
    by_day: Counter[tuple[str, bool]] = Counter()
    for outcome in SlaOutcome.objects.all():
        by_day[(str(timezone.localtime(outcome.at, UTC).date()), outcome.met)] += 1
    counted: Counter[tuple[str, bool]] = Counter()
    for row in SlaOutcomeDay.objects.all():
        counted[(str(row.day), True)] += row.met
        counted[(str(row.day), False)] += row.breached
    assert +counted == +by_day


def test_rebuilding_from_the_clocks_gives_back_the_same_verdicts_and_days(day, monkeypatch):
    monkeypatch.setattr("sla.outcomes.REBUILD_CHUNK", 2)  # the days are written in chunks
    sla_record_due(now=NOW)
    verdicts = set(SlaOutcome.objects.values_list("ticket_id", "metric", "cycle", "met", "at"))
    days = set(SlaOutcomeDay.objects.values_list("day", "metric", "priority", "met", "breached"))
    day_rows = SlaOutcomeDay.objects.count()
    SlaOutcome.objects.all().delete()
    SlaOutcomeDay.objects.all().delete()

    assert outcomes_backfill(batch_size=3) == len(verdicts)
    assert outcome_days_rebuild() == day_rows > 2

    assert (
        set(SlaOutcome.objects.values_list("ticket_id", "metric", "cycle", "met", "at")) == verdicts
    )
    assert (
        set(SlaOutcomeDay.objects.values_list("day", "metric", "priority", "met", "breached"))
        == days
    )
    assert outcomes_backfill() == 0  # idempotent


def test_times_to_resolve_written_around_the_service_are_backfilled_the_same(day):
    stored = dict(
        Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", "time_to_resolve")
    )
    assert len(stored) == 5 and None not in stored.values()
    Ticket.objects.update(time_to_resolve=None)
    # Until then the dashboard leaves them out rather than counting them as zero.
    assert dashboard(period=PERIOD, filters=Filters(), now=NOW).resolution.count == 0

    assert times_to_resolve_backfill() == 5
    assert (
        dict(Ticket.objects.filter(resolved_at__isnull=False).values_list("pk", "time_to_resolve"))
        == stored
    )


def test_a_breach_stays_counted_where_it_happened(day, agent_l1):
    """T5 breached its resolution at 08:00 at L1 and is escalated to L2 afterwards.
    The breach is still one breach, at L1 (where it was missed)."""
    sla_record_due(now=NOW)
    t5 = Ticket.objects.get(pk=day.tickets["T5"].pk)
    with time_machine.travel(NOW, tick=False):
        services.ticket_escalate(ticket=t5, actor=agent_l1, reason="Needs the network team.")
    t5.refresh_from_db()
    assert t5.tier == Tier.L2
    board = dashboard(period=PERIOD, filters=Filters(), now=NOW)
    by_tier = {row.key: (row.total.met, row.total.breached) for row in board.by_tier}
    assert by_tier[Tier.L1] == (9, 2)
    assert board.compliance[RES].breached == 1


def _spread_over_days(requester, agent_l1, category, start: datetime) -> None:
    """Tickets created every 5 h over four days: each replied to within 30 min (met) or
    never (its first response breaches 2 h after creation), resolved 3 h later or not."""
    for index in range(20):
        created = start + timedelta(hours=5 * index)
        with time_machine.travel(created, tick=False) as clock:
            ticket = services.ticket_create(
                requester=requester, title=f"S{index}", description="x", urgency=Level.MEDIUM
            )
            ticket = services.ticket_triage(
                ticket=ticket,
                actor=agent_l1,
                kind="incident",
                category=category,
                impact=Level.MEDIUM if index % 3 else Level.HIGH,
                urgency=Level.MEDIUM,
            )
            if index % 4:
                ticket = services.ticket_take(ticket=ticket, actor=agent_l1)
                clock.move_to(created + timedelta(minutes=30))
                services.comment_create(ticket=ticket, actor=agent_l1, body="On it.")
                if index % 2:
                    clock.move_to(created + timedelta(hours=3))
                    services.ticket_resolve(
                        ticket=ticket, actor=agent_l1, summary="Done.", code=ClosureCode.FIXED
                    )
        sla_record_due(now=created + timedelta(hours=5))


@override_settings(TIME_ZONE="UTC")
def test_whole_days_from_the_day_counts_and_partial_days_from_the_verdicts(
    requester, agent_l1, category
):
    start = datetime(2025, 5, 5, 1, tzinfo=UTC)
    _spread_over_days(requester, agent_l1, category, start)
    now = start + timedelta(days=5)
    sla_record_due(now=now)
    period = Period(key="custom", start=start + timedelta(hours=10), end=now, bucket="day")

    with timezone.override(UTC):
        buckets = Buckets.of(period)
        assert whole_days(period, buckets) is not None  # the day counts are used
        counts = compliance_counts(period=period, filters=Filters(), now=now, buckets=buckets)

    outcomes = list(SlaOutcome.objects.filter(at__gte=period.start, at__lt=now))
    per_day: Counter[tuple[object, bool]] = Counter((o.at.date(), o.met) for o in outcomes)
    assert {
        day: (per_day[(day, True)], per_day[(day, False)]) for day, _met in per_day
    } == counts.by_bucket
    per_group: Counter[tuple[object, ...]] = Counter(
        (o.metric, o.priority, o.tier, o.category_id, o.met) for o in outcomes
    )
    got: Counter[tuple[object, ...]] = Counter()
    for g in counts.groups:
        got[(g.metric, g.priority, g.tier, g.category_id, True)] += g.met
        got[(g.metric, g.priority, g.tier, g.category_id, False)] += g.breached
    assert +got == +per_group
    assert len(outcomes) > 20 and len(counts.by_bucket) == 5  # edges and whole days


def test_another_time_zone_counts_from_the_verdicts_by_its_own_days(requester, agent_l1, category):
    start = datetime(2025, 5, 5, 1, tzinfo=UTC)
    _spread_over_days(requester, agent_l1, category, start)
    now = start + timedelta(days=5)
    sla_record_due(now=now)
    madrid = ZoneInfo("Europe/Madrid")  # not settings.TIME_ZONE: no day counts
    with timezone.override(madrid):
        period = Period(key="custom", start=start, end=now, bucket="day")
        buckets = Buckets.of(period)
        assert whole_days(period, buckets) is None
        counts = compliance_counts(period=period, filters=Filters(), now=now, buckets=buckets)
    expected: Counter[object] = Counter()
    for outcome in SlaOutcome.objects.filter(at__gte=start, at__lt=now):
        expected[timezone.localtime(outcome.at, madrid).date()] += 1
    assert {day: sum(pair) for day, pair in counts.by_bucket.items()} == dict(expected)


def test_a_filter_narrows_the_day_counts_and_the_verdicts_alike(requester, agent_l1, category):
    start = datetime(2025, 5, 5, 1, tzinfo=UTC)
    _spread_over_days(requester, agent_l1, category, start)
    now = start + timedelta(days=5)
    sla_record_due(now=now)
    period = Period(key="custom", start=start + timedelta(hours=10), end=now, bucket="day")
    with timezone.override(UTC):
        counts = compliance_counts(
            period=period, filters=Filters(priority=2), now=now, buckets=Buckets.of(period)
        )
    expected = SlaOutcome.objects.filter(at__gte=period.start, at__lt=now, priority=2).count()
    assert {g.priority for g in counts.groups} == {2}
    assert sum(g.met + g.breached for g in counts.groups) == expected > 0
    assert sum(sum(pair) for pair in counts.by_bucket.values()) == expected


def test_now_before_the_period_counts_nothing(day):
    period = Period(key="custom", start=NOW, end=NOW + timedelta(days=1), bucket="day")
    counts = compliance_counts(
        period=period, filters=Filters(), now=NOW, buckets=Buckets.of(period)
    )
    assert (counts.groups, counts.by_bucket) == ([], {})
