"""SLA compliance of a period: met and breached clocks, grouped by trend bucket, metric,
priority, tier and category.

A clock counts once, in the period of its verdict (`sla.SlaOutcome`: met when it stopped in
time, breached at its due time), under the ticket's kind, priority, tier, category and group at
that moment. Three sources, added up:

- whole days inside the period: `SlaOutcomeDay`, the verdicts already added up per day (only
  when the page's time zone is the one the days are counted in, settings.TIME_ZONE);
- the period's partial first and last days (and every day in another time zone): the
  verdicts themselves, by their time;
- breaches the sweep has not recorded yet (it runs every 30 s): the clocks past due with no
  breach recorded, read from the sweep's own index, under the ticket's current attributes.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from reports.buckets import Buckets
from reports.forms import Filters, Period
from sla.models import ClockState, SlaClock, SlaOutcome, SlaOutcomeDay
from sla.outcomes import BREACH_LEVEL
from tickets.models import Category


@dataclass(frozen=True)
class Group:
    metric: str
    priority: int
    tier: int
    category_id: int | None
    met: int
    breached: int


@dataclass(frozen=True)
class ComplianceCounts:
    """Met and breached per metric × priority × tier × category (the figures and breakdowns),
    and per trend bucket — two small groupings rather than their product, which at 30 days
    is tens of thousands of rows to add up in Python."""

    groups: list[Group]
    by_bucket: dict[date, tuple[int, int]]


@dataclass(frozen=True)
class _Source:
    rows: QuerySet[Any]
    bucket: Any  # the SQL expression of a row's trend bucket
    met: Any  # per row: how many met (an expression)
    breached: Any  # per row: how many breached
    prefix: str = ""  # where the ticket attributes are ("ticket__" on clocks)

    def columns(self) -> list[str]:
        return ["metric", *(f"{self.prefix}{name}" for name in BREAKDOWN)]


BREAKDOWN = ("priority", "tier", "category_id")  # what the page breaks compliance down by


def filters_q(filters: Filters, prefix: str = "") -> Q:
    """The dashboard's filters on tickets, or on the copies of their attributes that verdicts
    and day counts keep (same field names)."""
    q = Q()
    if filters.kind:
        q &= Q(**{f"{prefix}kind": filters.kind})
    if filters.priority is not None:
        q &= Q(**{f"{prefix}priority": filters.priority})
    if filters.tier is not None:
        q &= Q(**{f"{prefix}tier": filters.tier})
    if filters.category_id is not None:
        # The category and its subcategories: as resolved by the caller, else a subquery.
        ids: Any = filters.category_ids or Category.objects.filter(
            Q(pk=filters.category_id) | Q(parent_id=filters.category_id)
        ).values("pk")
        q &= Q(**{f"{prefix}category_id__in": ids})
    if filters.group_id is not None:
        q &= Q(**{f"{prefix}support_group_id": filters.group_id})
    return q


def whole_days(period: Period, buckets: Buckets) -> tuple[date, date] | None:
    """[first, last) local days wholly inside the period, when the day table can serve them."""
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return None
    first = timezone.localtime(period.start, buckets.zone).date()
    if buckets.midnight(first) < period.start:
        first += timedelta(days=1)
    last = timezone.localtime(period.end, buckets.zone).date()
    if first >= last:
        return None
    return first, last


def compliance_counts(
    *, period: Period, filters: Filters, now: datetime, buckets: Buckets
) -> ComplianceCounts:
    """Met and breached in the period from each source (module docstring), each grouped two
    ways: up to three queries on PostgreSQL (six elsewhere), a few hundred rows."""
    end = min(period.end, now)
    if end <= period.start:
        return ComplianceCounts(groups=[], by_bucket={})
    sources: list[_Source] = []
    edges = [(period.start, end)]
    days = whole_days(period, buckets)
    if days is not None:
        first, last = days
        edges = [(period.start, buckets.midnight(first)), (buckets.midnight(last), end)]
        sources.append(
            _Source(
                rows=SlaOutcomeDay.objects.filter(day__gte=first, day__lt=last),
                bucket=buckets.day_expression("day"),
                met=F("met"),
                breached=F("breached"),
            )
        )
    in_edges = Q()
    for low, high in edges:
        if low < high:
            in_edges |= Q(at__gte=low, at__lt=high)
    if in_edges:
        sources.append(
            _Source(
                rows=SlaOutcome.objects.filter(in_edges),
                bucket=buckets.expression("at"),
                met=Case(When(met=True, then=1), default=0),
                breached=Case(When(met=False, then=1), default=0),
            )
        )
    sources.append(
        _Source(
            rows=unrecorded_breaches(start=period.start, end=end, now=now),
            bucket=buckets.expression("due_at"),
            met=Value(0),
            breached=Value(1),
            prefix="ticket__",
        )
    )

    groups: defaultdict[tuple[str, int, int, int | None], list[int]] = defaultdict(lambda: [0, 0])
    by_bucket: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
    for source in sources:
        rows = source.rows.filter(filters_q(filters, source.prefix)).order_by()
        for key, bucket, met, breached in _grouped_twice(source, rows):
            pair = by_bucket[buckets.date_of(bucket)] if key is None else groups[key]
            pair[0] += met
            pair[1] += breached
    return ComplianceCounts(
        groups=[
            Group(
                metric=metric,
                priority=priority,
                tier=tier,
                category_id=category_id,
                met=met,
                breached=breached,
            )
            for (metric, priority, tier, category_id), (met, breached) in groups.items()
        ],
        by_bucket={day: (met, breached) for day, (met, breached) in by_bucket.items()},
    )


Row = tuple[tuple[str, int, int, int | None] | None, Any, int, int]


def _grouped_twice(source: _Source, rows: QuerySet[Any]) -> Iterator[Row]:
    """Met and breached of `rows` per (metric, priority, tier, category), then per trend
    bucket, as (key, None, met, breached) and (None, bucket, met, breached). One scan with
    GROUPING SETS on PostgreSQL; two grouped queries elsewhere."""
    columns = source.columns()
    if connection.vendor != "postgresql":
        sums = {"n_met": Sum(source.met), "n_breached": Sum(source.breached)}
        for row in rows.values(*columns).annotate(**sums):
            key = (row[columns[0]], row[columns[1]], row[columns[2]], row[columns[3]] or None)
            yield key, None, row["n_met"] or 0, row["n_breached"] or 0
        for row in rows.annotate(bucket=source.bucket).values("bucket").annotate(**sums):
            yield None, row["bucket"], row["n_met"] or 0, row["n_breached"] or 0
        return
    per_row = rows.annotate(_bucket=source.bucket, _met=source.met, _breached=source.breached)
    sql, params = per_row.values_list(
        *columns, "_bucket", "_met", "_breached"
    ).query.sql_with_params()
    # `sql` is Django's compiled query; every value stays a bound parameter.
    grouped = f"""
        SELECT metric, priority, tier, category_id, bucket, SUM(met), SUM(breached),
               GROUPING(bucket)
        FROM ({sql}) AS s (metric, priority, tier, category_id, bucket, met, breached)
        GROUP BY GROUPING SETS ((metric, priority, tier, category_id), (bucket))"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        for metric, priority, tier, category_id, bucket, met, breached, by_key in cursor:
            if by_key:  # bucket aggregated away: a (metric, priority, tier, category) row
                yield (metric, priority, tier, category_id or None), None, met or 0, breached or 0
            else:
                yield None, bucket, met or 0, breached or 0


def unrecorded_breaches(*, start: datetime, end: datetime, now: datetime) -> QuerySet[SlaClock]:
    """Clocks due in [start, end) and past due by `now` whose breach the sweep has not recorded
    yet: stopped late, still running, or paused after their due time. They are all still owed
    to the sweep (`next_alert_at` before now), which is the partial index read here."""
    past_due = (
        Q(state=ClockState.BREACHED)
        | Q(state=ClockState.RUNNING, due_at__lt=now)
        # paused at or after its due time: never moved by that pause (sla.engine.reached_level)
        | Q(state=ClockState.PAUSED, due_at__lte=F("paused_since"))
    )
    return SlaClock.objects.filter(next_alert_at__lt=now, alert_level__lt=BREACH_LEVEL).filter(
        past_due, due_at__gte=start, due_at__lt=end
    )
