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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from reports.buckets import Buckets
from reports.forms import Filters, Period
from sla.models import ClockState, SlaClock, SlaOutcome, SlaOutcomeDay
from sla.outcomes import BREACH_LEVEL
from tickets.models import Category


@dataclass(frozen=True)
class Group:
    bucket: date
    metric: str
    priority: int
    tier: int
    category_id: int | None
    met: int
    breached: int


def outcome_filter(filters: Filters, prefix: str = "") -> Q:
    """The filters on outcome rows (and day rows): their own copies of the ticket's attributes."""
    q = Q()
    if filters.kind:
        q &= Q(**{f"{prefix}kind": filters.kind})
    if filters.priority is not None:
        q &= Q(**{f"{prefix}priority": filters.priority})
    if filters.tier is not None:
        q &= Q(**{f"{prefix}tier": filters.tier})
    if filters.category_id is not None:
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


def compliance_groups(
    *, period: Period, filters: Filters, now: datetime, buckets: Buckets
) -> list[Group]:
    """Met and breached per bucket × metric × priority × tier × category (four queries)."""
    end = min(period.end, now)
    counts: Counter[tuple[Any, ...]] = Counter()

    def add(rows: Iterable[dict[str, Any]], bucket_of: Any, prefix: str = "") -> None:
        for row in rows:
            key = (
                bucket_of(row["bucket"]),
                row["metric"],
                row[f"{prefix}priority"],
                row[f"{prefix}tier"],
                row[f"{prefix}category_id"] or None,
            )
            counts[(*key, True)] += row.get("n_met", 0)
            counts[(*key, False)] += row["n_breached"]

    days = whole_days(period, buckets) if period.start < end else None
    edges = [(period.start, end)]
    if days is not None:
        first, last = days
        edges = [(period.start, buckets.midnight(first)), (buckets.midnight(last), end)]
        add(
            SlaOutcomeDay.objects.filter(day__gte=first, day__lt=last)
            .filter(outcome_filter(filters))
            .annotate(bucket=buckets.day_expression("day"))
            .values("bucket", "metric", "priority", "tier", "category_id")
            .annotate(n_met=Sum("met"), n_breached=Sum("breached"))
            .order_by(),
            buckets.date_of,
        )
    in_edges = Q()
    for low, high in edges:
        if low < high:
            in_edges |= Q(at__gte=low, at__lt=high)
    if in_edges:
        add(
            SlaOutcome.objects.filter(in_edges)
            .filter(outcome_filter(filters))
            .annotate(bucket=buckets.expression("at"))
            .values("bucket", "metric", "priority", "tier", "category_id")
            .annotate(
                n_met=Count("pk", filter=Q(met=True)), n_breached=Count("pk", filter=Q(met=False))
            )
            .order_by(),
            buckets.date_of,
        )
    if period.start < end:
        add(
            unrecorded_breaches(start=period.start, end=end, filters=filters, now=now)
            .annotate(bucket=buckets.expression("due_at"))
            .values("bucket", "metric", "ticket__priority", "ticket__tier", "ticket__category_id")
            .annotate(n_breached=Count("pk"))
            .order_by(),
            buckets.date_of,
            prefix="ticket__",
        )
    groups: dict[tuple[Any, ...], dict[bool, int]] = {}
    for (*key, met), n in counts.items():
        groups.setdefault(tuple(key), {True: 0, False: 0})[met] += n
    return [
        Group(
            bucket=key[0],
            metric=key[1],
            priority=key[2],
            tier=key[3],
            category_id=key[4],
            met=value[True],
            breached=value[False],
        )
        for key, value in groups.items()
        if value[True] or value[False]
    ]


def unrecorded_breaches(*, start: datetime, end: datetime, filters: Filters, now: datetime) -> Any:
    """Clocks due in [start, end) and past due by `now` whose breach the sweep has not recorded
    yet: stopped late, still running, or paused after their due time. They are all still owed
    to the sweep (`next_alert_at` before now), which is the partial index read here."""
    past_due = (
        Q(state=ClockState.BREACHED)
        | Q(state=ClockState.RUNNING, due_at__lt=now)
        | Q(state=ClockState.PAUSED, due_at__lt=F("paused_since"))
    )
    return (
        SlaClock.objects.filter(next_alert_at__lt=now, alert_level__lt=BREACH_LEVEL)
        .filter(past_due, due_at__gte=start, due_at__lt=end)
        .filter(outcome_filter(filters, "ticket__"))
    )
