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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
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
    aggregates: dict[str, Any]  # n_met, n_breached
    prefix: str = ""  # where the ticket attributes are ("ticket__" on clocks)


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
        # The category and its subcategories, as a subquery (no extra round trip).
        ids = Category.objects.filter(
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
    ways: up to six queries, a few hundred rows."""
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
                aggregates={"n_met": Sum("met"), "n_breached": Sum("breached")},
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
                aggregates={
                    "n_met": Count("pk", filter=Q(met=True)),
                    "n_breached": Count("pk", filter=Q(met=False)),
                },
            )
        )
    sources.append(
        _Source(
            rows=unrecorded_breaches(start=period.start, end=end, now=now),
            bucket=buckets.expression("due_at"),
            aggregates={"n_breached": Count("pk")},
            prefix="ticket__",
        )
    )

    groups: defaultdict[tuple[str, int, int, int | None], list[int]] = defaultdict(lambda: [0, 0])
    by_bucket: defaultdict[date, list[int]] = defaultdict(lambda: [0, 0])
    for source in sources:
        rows = source.rows.filter(filters_q(filters, source.prefix)).order_by()
        dims = [f"{source.prefix}{name}" for name in ("priority", "tier", "category_id")]
        for row in rows.values("metric", *dims).annotate(**source.aggregates):
            pair = groups[(row["metric"], row[dims[0]], row[dims[1]], row[dims[2]] or None)]
            pair[0] += row.get("n_met", 0)
            pair[1] += row["n_breached"]
        for row in (
            rows.annotate(bucket=source.bucket).values("bucket").annotate(**source.aggregates)
        ):
            pair = by_bucket[buckets.date_of(row["bucket"])]
            pair[0] += row.get("n_met", 0)
            pair[1] += row["n_breached"]
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


def unrecorded_breaches(*, start: datetime, end: datetime, now: datetime) -> QuerySet[SlaClock]:
    """Clocks due in [start, end) and past due by `now` whose breach the sweep has not recorded
    yet: stopped late, still running, or paused after their due time. They are all still owed
    to the sweep (`next_alert_at` before now), which is the partial index read here."""
    past_due = (
        Q(state=ClockState.BREACHED)
        | Q(state=ClockState.RUNNING, due_at__lt=now)
        | Q(state=ClockState.PAUSED, due_at__lt=F("paused_since"))
    )
    return SlaClock.objects.filter(next_alert_at__lt=now, alert_level__lt=BREACH_LEVEL).filter(
        past_due, due_at__gte=start, due_at__lt=end
    )
