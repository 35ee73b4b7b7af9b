"""The SLA dashboard's figures and the agents' queue health (DESIGN.md, "Metrics").

Every figure is a database aggregate over the period's rows only, through the indexes of
`reports/migrations/` and the day counts of `sla.SlaOutcomeDay`; nothing loops over tickets in
Python (the only Python work is summing a bounded number of grouped rows: metrics ×
priorities × tiers × categories). Percentiles are PostgreSQL's `percentile_cont`; on SQLite
(the embedded mode) each is one ordered fetch of at most two values of the same column,
interpolated the same way.

Definitions (the help texts on the page say the same):

- First response time = first public agent reply − created (resolving counts as a reply), over
  tickets whose first response falls in the period.
- Time to resolve = last resolution − created − every paused second of every resolution cycle
  (time waiting on the requester). A reopened ticket counts once, in the period of its last
  resolution; a reopened ticket that is not resolved again is not counted. The time between a
  resolution and its reopen counts (the requester was not helped). MTTR = the mean over tickets
  whose (last) resolution falls in the period; median and p90 beside it.
- SLA compliance % = met / (met + breached) over clocks decided in the period: a met clock in
  the period it stopped, a breached one in the period of its due time (whether it stopped late,
  is still running or paused past due, or was cancelled after it). A clock cancelled at or
  before its due time counts neither way; one cancelled after it counts as breached. A
  recompute (a priority change) that moves a clock's due time or outcome revises its verdict.
  Per metric, and by the ticket's priority, tier and category when the clock was decided
  (reports.compliance, from the recorded sla.SlaOutcome verdicts).
- Escalation rate, first-contact resolution and reopen rate: shares of the tickets resolved in
  the period — escalated at least once; resolved at L1 and never escalated; reopened at least
  once.
- At risk now: tickets with an open clock past 75 % of its target and not yet due (a paused
  clock as of its pause). Backlog: tickets not yet resolved, by state and tier, now.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role, User
from escalation.models import SupportGroup, Tier
from helpdesk.numbers import percent
from helpdesk.read_snapshot import read_snapshot
from reports.buckets import Buckets
from reports.compliance import Group, compliance_counts, filters_q, unrecorded_breaches
from reports.expressions import EpochSeconds, Percentiles
from reports.forms import Filters, Period
from sla.models import ClockState, Metric, SlaClock, SlaOutcome
from sla.selectors import clock_read_at, sla_at_risk_filter, sla_breached_filter
from tickets.models import Category, Priority, Status, Ticket
from tickets.models_choices import ACTIVE_STATES
from tickets.selectors import category_tree

HOUR = 3600.0
MTTR_GOAL_SECONDS = 24 * HOUR  # the seed's goal: mean time to resolve ≤ 24 h
AT_RISK_LIMIT = 25
METRICS = [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION]
# The time-to-resolve histogram, in hours: [low, high).
HISTOGRAM_HOURS: list[tuple[int, int | None]] = [
    (0, 1),
    (1, 4),
    (4, 8),
    (8, 24),
    (24, 48),
    (48, 72),
    (72, None),
]


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Durations in seconds; None when there is nothing to measure."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return percent(self.numerator, self.denominator)


@dataclass(frozen=True)
class Compliance:
    met: int = 0
    breached: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return percent(self.met, self.decided)

    def __add__(self, other: "Compliance") -> "Compliance":
        return Compliance(met=self.met + other.met, breached=self.breached + other.breached)


@dataclass(frozen=True)
class ComplianceRow:
    """One priority, tier or category: compliance per metric and over all metrics."""

    key: int | None
    label: str
    by_metric: dict[str, Compliance]
    total: Compliance


@dataclass(frozen=True)
class HistogramBin:
    low_hours: int
    high_hours: int | None
    count: int

    @property
    def label(self) -> str:
        if self.high_hours is None:
            return _("%(low)d h or more") % {"low": self.low_hours}
        return _("%(low)d–%(high)d h") % {"low": self.low_hours, "high": self.high_hours}


@dataclass(frozen=True)
class TrendPoint:
    start: date
    created: int = 0
    resolved: int = 0
    mttr_mean: float | None = None
    first_response_mean: float | None = None
    met: int = 0
    breached: int = 0

    @property
    def compliance(self) -> Compliance:
        return Compliance(met=self.met, breached=self.breached)


@dataclass(frozen=True)
class AtRiskClock:
    ticket_id: int
    reference: str
    title: str
    status: str
    priority: int
    tier: int
    metric: str
    due_at: datetime
    paused: bool
    # Until its due time; a paused clock's is frozen at its pause, and its due time (then the
    # one as of the pause, possibly long past) is only set again when it resumes.
    left_seconds: int = 0


@dataclass(frozen=True)
class Backlog:
    states: list[str]
    tiers: list[int]
    counts: dict[tuple[str, int], int]

    def count(self, state: str, tier: int) -> int:
        return self.counts.get((state, tier), 0)

    def state_total(self, state: str) -> int:
        return sum(n for (s, _t), n in self.counts.items() if s == state)

    def tier_total(self, tier: int) -> int:
        return sum(n for (_s, t), n in self.counts.items() if t == tier)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rows(self) -> list[tuple[str, list[int], int]]:
        """(state, counts per tier, total) for the table."""
        return [
            (s, [self.count(s, t) for t in self.tiers], self.state_total(s)) for s in self.states
        ]

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [
            {"state": s, "tier": t, "count": self.count(s, t)}
            for s in self.states
            for t in self.tiers
        ]

    @property
    def tier_totals(self) -> list[int]:
        return [self.tier_total(t) for t in self.tiers]


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    now: datetime
    first_response: Distribution
    resolution: Distribution
    histogram: list[HistogramBin]
    escalation: Ratio
    first_contact: Ratio
    reopen: Ratio
    compliance: dict[str, Compliance]
    compliance_total: Compliance
    by_priority: list[ComplianceRow]
    by_tier: list[ComplianceRow]
    by_category: list[ComplianceRow]
    at_risk_count: int
    at_risk: list[AtRiskClock]
    backlog: Backlog
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def breaches(self) -> int:
        return self.compliance_total.breached

    @property
    def mttr_goal_seconds(self) -> float:
        return MTTR_GOAL_SECONDS

    @property
    def mttr_goal_met(self) -> bool | None:
        if self.resolution.mean is None:
            return None
        return self.resolution.mean <= MTTR_GOAL_SECONDS


# --- the querysets behind the figures ---------------------------------------------------------


def first_responses(*, period: Period, filters: Filters) -> QuerySet[Ticket]:
    """Tickets whose first response is in the period, with `seconds` (first response time)."""
    return (
        Ticket.objects.filter(first_response_at__gte=period.start, first_response_at__lt=period.end)
        .filter(filters_q(filters))
        .annotate(seconds=EpochSeconds(F("first_response_at") - F("created_at")))
        .order_by()
    )


def resolutions(*, period: Period, filters: Filters) -> QuerySet[Ticket]:
    """Tickets whose (last) resolution is in the period, with `seconds` (time to resolve).

    The SLA service stores every resolved ticket's time to resolve; rows written around it
    (imports, bulk loads) have none until `manage.py sla_outcomes_rebuild` and are left out
    rather than counted as zero."""
    return (
        Ticket.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
        .filter(time_to_resolve__isnull=False)
        .filter(filters_q(filters))
        .annotate(seconds=EpochSeconds(F("time_to_resolve")))
        .order_by()
    )


def at_risk_clocks(*, filters: Filters, now: datetime) -> QuerySet[SlaClock]:
    """Open clocks past 75 % of their target and not yet due (as `sla_at_risk_filter`)."""
    running = Q(state=ClockState.RUNNING, at_risk_at__lte=now, due_at__gte=now)
    paused = Q(
        state=ClockState.PAUSED,
        at_risk_at__lte=F("paused_since"),
        due_at__gt=F("paused_since"),
    )
    clocks = SlaClock.objects.filter(running | paused)
    on_ticket = filters_q(filters)
    if not on_ticket:
        return clocks
    # Each at-risk clock looks its ticket up by key, in a scalar subquery (PostgreSQL does not
    # turn one into a join). As a join, an overestimate of the at-risk clocks (8,000 for 800)
    # had the planner read every ticket of the filter into a hash table: 100 ms at 1M.
    ticket = Ticket.objects.filter(pk=OuterRef("ticket_id")).filter(on_ticket).values("pk")[:1]
    return clocks.annotate(filtered_ticket=Subquery(ticket)).filter(filtered_ticket__isnull=False)


def _time_left(now: datetime) -> Case:
    return Case(
        When(state=ClockState.PAUSED, then=F("due_at") - F("paused_since")),
        default=F("due_at") - Value(now, output_field=DateTimeField()),
        output_field=DurationField(),
    )


def backlog_tickets(*, filters: Filters) -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=ACTIVE_STATES).filter(filters_q(filters)).order_by()


def created_tickets(*, period: Period, filters: Filters) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .filter(filters_q(filters))
        .order_by()
    )


# --- aggregation -------------------------------------------------------------------------------


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# LIMIT makes `seconds` a subquery column, computed once per row rather than once per
# reference to it in the aggregates (16 for the resolutions).
FENCE = 2**62


@contextmanager
def _reporting_session() -> Iterator[None]:
    """One transaction for the page's aggregates, with PostgreSQL's JIT compilation and
    parallel workers off for it (SET LOCAL): on these short, index-bound queries JIT compiling
    cost 0.1–0.8 s and worker start-up 30–60 ms each — more than the queries themselves. A
    larger work_mem keeps the grouping sorts of a long period in memory. On the embedded SQLite
    database the transaction takes no write lock (helpdesk/read_snapshot.py)."""
    with read_snapshot():
        if _is_postgresql():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('jit', 'off', true), "
                    "set_config('max_parallel_workers_per_gather', '0', true), "
                    "set_config('work_mem', '64MB', true)"
                )
        yield


def _percentiles_sqlite(queryset: QuerySet[Any], count: int) -> tuple[float, float]:
    """Median and p90 of `seconds` as percentile_cont computes them: for fraction f over n
    sorted values, position k = f·(n − 1), interpolated between floor(k) and ceil(k). One
    ordered fetch of at most two values each."""
    results = []
    for fraction in (0.5, 0.9):
        position = fraction * (count - 1)
        low = math.floor(position)
        values = list(queryset.order_by("seconds").values_list("seconds", flat=True)[low : low + 2])
        value = float(values[0])
        if len(values) > 1:
            value += (position - low) * (float(values[1]) - value)
        results.append(value)
    return results[0], results[1]


def _distribution(queryset: QuerySet[Any], **extra: Any) -> tuple[Distribution, dict[str, Any]]:
    """Count, mean, median and p90 of `seconds`, with `extra` aggregates in the same query."""
    aggregates: dict[str, Any] = {"n": Count("*"), "mean": Avg("seconds"), **extra}
    if _is_postgresql():
        aggregates["percentiles"] = Percentiles("seconds", fractions=(0.5, 0.9))
        row = queryset[:FENCE].aggregate(**aggregates)
        row["median"], row["p90"] = row.pop("percentiles") or (None, None)
    else:
        row = queryset.aggregate(**aggregates)
    count = row["n"]
    if not _is_postgresql() and count:
        row["median"], row["p90"] = _percentiles_sqlite(queryset, count)
    distribution = Distribution(
        count=count,
        mean=float(row["mean"]) if count else None,
        median=float(row["median"]) if count else None,
        p90=float(row["p90"]) if count else None,
    )
    return distribution, row


def _per_bucket(buckets: Buckets) -> dict[str, Any]:
    """Count and sum of `seconds` per trend bucket (`bucket` is its index on PostgreSQL): a
    float SUM is cheaper per row than AVG, which also keeps a sum of squares."""
    aggregates: dict[str, Any] = {}
    for index in range(len(buckets.starts)):
        aggregates[f"b{index}_n"] = Count("pk", filter=Q(bucket=index))
        aggregates[f"b{index}_sum"] = Sum("seconds", filter=Q(bucket=index))
    return aggregates


def _mean(row: dict[str, Any], index: int) -> float | None:
    count = row[f"b{index}_n"]
    return row[f"b{index}_sum"] / count if count else None


def _compliance_rows(
    grouped: Iterable[Group],
    key: str,
    labels: dict[Any, str],
    order: list[Any],
) -> list[ComplianceRow]:
    by_key: dict[Any, dict[str, Compliance]] = defaultdict(dict)
    for group in grouped:
        metrics = by_key[getattr(group, key)]
        metrics[group.metric] = metrics.get(group.metric, Compliance()) + Compliance(
            met=group.met, breached=group.breached
        )
    keys = [k for k in order if k in by_key] + sorted(
        (k for k in by_key if k not in order), key=lambda k: (k is None, str(labels.get(k, k)))
    )
    rows = []
    for k in keys:
        metrics = by_key[k]
        total = sum(metrics.values(), Compliance())
        rows.append(
            ComplianceRow(
                key=k,
                label=labels.get(k, _("None") if k is None else str(k)),
                by_metric=metrics,
                total=total,
            )
        )
    return rows


def dashboard(
    *,
    period: Period,
    filters: Filters,
    now: datetime | None = None,
    categories: list[Category] | None = None,
) -> Dashboard:
    """Every figure of the SLA dashboard. On PostgreSQL a fixed number of queries (at most 10:
    the session settings and 9 aggregates, plus one for the category names unless `categories`
    is given), whatever the number of tickets."""
    with _reporting_session():
        return _dashboard(
            period=period, filters=filters, now=now or timezone.now(), categories=categories
        )


def _dashboard(
    *, period: Period, filters: Filters, now: datetime, categories: list[Category] | None
) -> Dashboard:

    # 1. First response times.
    # On PostgreSQL the trend's per-bucket counts and means ride along in the same scans.
    buckets = Buckets.of(period)
    fold = _is_postgresql()
    first_response, fr_row = _distribution(
        first_responses(period=period, filters=filters).annotate(
            bucket=buckets.expression("first_response_at")
        ),
        **(_per_bucket(buckets) if fold else {}),
    )

    # 2. Time to resolve, its histogram and the rates over the same tickets.
    bins: dict[str, Any] = {}
    for index, (low, high) in enumerate(HISTOGRAM_HOURS):
        condition = Q(seconds__gte=low * HOUR)
        if high is not None:
            condition &= Q(seconds__lt=high * HOUR)
        bins[f"bin{index}"] = Count("pk", filter=condition)
    resolution, row = _distribution(
        resolutions(period=period, filters=filters).annotate(
            bucket=buckets.expression("resolved_at")
        ),
        escalated=Count("pk", filter=Q(escalation_count__gt=0)),
        first_contact=Count("pk", filter=Q(tier=Tier.L1, escalation_count=0)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        **bins,
        **(_per_bucket(buckets) if fold else {}),
    )
    folded: dict[date, dict[str, Any]] | None = None
    if fold:
        folded = {
            start: {
                "resolved": row[f"b{i}_n"],
                "mttr_mean": _mean(row, i),
                "first_response_mean": _mean(fr_row, i),
            }
            for i, start in enumerate(buckets.starts)
        }
    resolved = resolution.count
    histogram = [
        HistogramBin(low_hours=low, high_hours=high, count=row[f"bin{i}"])
        for i, (low, high) in enumerate(HISTOGRAM_HOURS)
    ]

    # 3. Compliance per metric × priority × tier × category, and per trend bucket
    # (reports.compliance).
    decided = compliance_counts(period=period, filters=filters, now=now, buckets=buckets)
    grouped = decided.groups
    clock_trend = {day: Compliance(met=m, breached=b) for day, (m, b) in decided.by_bucket.items()}
    compliance: dict[str, Compliance] = {m: Compliance() for m in METRICS}
    for group in grouped:
        compliance[group.metric] += Compliance(met=group.met, breached=group.breached)
    if categories is None:
        categories = list(Category.objects.select_related("parent"))
    category_labels: dict[Any, str] = {c.pk: c.path for c in categories}
    by_priority = _compliance_rows(
        grouped, "priority", {k: str(v) for k, v in Priority.choices}, Priority.values
    )
    by_tier = _compliance_rows(grouped, "tier", {k: str(v) for k, v in Tier.choices}, Tier.values)
    by_category = _compliance_rows(grouped, "category_id", category_labels, [])

    # 4. At risk now: how many tickets, and the most urgent clocks with their tickets.
    at_risk = at_risk_clocks(filters=filters, now=now)
    at_risk_count = at_risk.aggregate(n=Count("ticket_id", distinct=True))["n"]
    at_risk_list = [
        AtRiskClock(
            ticket_id=clock.ticket_id,
            reference=clock.ticket.reference,
            title=clock.ticket.title,
            status=clock.ticket.status,
            priority=clock.ticket.priority,
            tier=clock.ticket.tier,
            metric=clock.metric,
            due_at=clock.due_at,
            paused=clock.state == ClockState.PAUSED,
            left_seconds=int((clock.due_at - clock_read_at(clock, now=now)).total_seconds()),
        )
        for clock in at_risk.select_related("ticket")
        .only(
            "ticket_id",
            "metric",
            "due_at",
            "state",
            "paused_since",
            "ticket__kind",
            "ticket__title",
            "ticket__status",
            "ticket__priority",
            "ticket__tier",
        )
        # Least time left first (a paused clock's is frozen at its pause). Not the due_at
        # index's order, so PostgreSQL reads the few at-risk rows from the partial indexes
        # rather than walking every open clock in due order.
        .order_by(_time_left(now), "id")[:AT_RISK_LIMIT]
    ]

    # 5. Backlog now, by state and tier.
    counts = {
        (row["status"], row["tier"]): row["n"]
        for row in backlog_tickets(filters=filters).values("status", "tier").annotate(n=Count("*"))
    }
    backlog = Backlog(states=list(ACTIVE_STATES), tiers=list(Tier.values), counts=counts)

    return Dashboard(
        period=period,
        filters=filters,
        now=now,
        first_response=first_response,
        resolution=resolution,
        histogram=histogram,
        escalation=Ratio(row["escalated"] or 0, resolved),
        first_contact=Ratio(row["first_contact"] or 0, resolved),
        reopen=Ratio(row["reopened"] or 0, resolved),
        compliance=compliance,
        compliance_total=sum(compliance.values(), Compliance()),
        by_priority=by_priority,
        by_tier=by_tier,
        by_category=by_category,
        at_risk_count=at_risk_count,
        at_risk=at_risk_list,
        backlog=backlog,
        trend=trend(
            period=period,
            filters=filters,
            clocks=clock_trend,
            buckets=buckets,
            resolutions_by_bucket=folded,
        ),
    )


def trend(
    *,
    period: Period,
    filters: Filters,
    clocks: dict[date, Compliance],
    buckets: Buckets,
    resolutions_by_bucket: dict[date, dict[str, Any]] | None = None,
) -> list[TrendPoint]:
    """Per day (or week): tickets created and resolved, MTTR and first-response means, and
    clocks met / breached (`clocks`, from `compliance_counts`). One grouped query, three when
    the caller has no `resolutions_by_bucket` (SQLite: they are not folded into the
    distribution scans there)."""
    points: dict[date, dict[str, Any]] = {start: {} for start in buckets.starts}

    def merge(rows: Iterable[dict[str, Any]], **names: str) -> None:
        for row in rows:
            point = points.setdefault(buckets.date_of(row["bucket"]), {})
            for attribute, column in names.items():
                point[attribute] = row[column]

    merge(
        created_tickets(period=period, filters=filters)
        .annotate(bucket=buckets.expression("created_at"))
        .values("bucket")
        .annotate(n=Count("*")),
        created="n",
    )
    if resolutions_by_bucket is not None:
        for start, values in resolutions_by_bucket.items():
            points.setdefault(start, {}).update(values)
    else:
        merge(
            resolutions(period=period, filters=filters)
            .annotate(bucket=buckets.expression("resolved_at"))
            .values("bucket")
            .annotate(n=Count("*"), mean=Avg("seconds")),
            resolved="n",
            mttr_mean="mean",
        )
        merge(
            first_responses(period=period, filters=filters)
            .annotate(bucket=buckets.expression("first_response_at"))
            .values("bucket")
            .annotate(mean=Avg("seconds")),
            first_response_mean="mean",
        )
    for bucket, compliance in clocks.items():
        point = points.setdefault(bucket, {})
        point["met"], point["breached"] = compliance.met, compliance.breached
    return [
        TrendPoint(
            start=start,
            created=values.get("created", 0),
            resolved=values.get("resolved", 0),
            mttr_mean=_float(values.get("mttr_mean")),
            first_response_mean=_float(values.get("first_response_mean")),
            met=values.get("met", 0),
            breached=values.get("breached", 0),
        )
        for start, values in sorted(points.items())
    ]


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- the tickets behind a figure (CSV) --------------------------------------------------------

FIGURES = [
    "first_response",
    "resolved",
    "escalated",
    "first_contact",
    "reopened",
    "met",
    "breached",
    "at_risk",
    "backlog",
    "created",
]
TICKET_COLUMNS = [
    "id",
    "kind",
    "title",
    "status",
    "priority",
    "tier",
    "category_id",
    "support_group_id",
    "created_at",
    "first_response_at",
    "resolved_at",
    "escalation_count",
    "reopen_count",
]
CLOCK_COLUMNS = ["metric", "cycle", "state", "started_at", "due_at", "stopped_at"]
OUTCOME_COLUMNS = ["metric", "cycle", "verdict", "decided_at"]

# The CSV header in the user's language (the download is for people; the columns and their
# values are the same in every language). In English each name stays the one above, so a
# script that reads the English export keeps finding its columns.
COLUMN_LABELS = {
    "id": pgettext_lazy("CSV column", "id"),
    "kind": pgettext_lazy("CSV column", "kind"),
    "title": pgettext_lazy("CSV column", "title"),
    "status": pgettext_lazy("CSV column", "status"),
    "priority": pgettext_lazy("CSV column", "priority"),
    "tier": pgettext_lazy("CSV column", "tier"),
    "category_id": pgettext_lazy("CSV column", "category_id"),
    "support_group_id": pgettext_lazy("CSV column", "support_group_id"),
    "created_at": pgettext_lazy("CSV column", "created_at"),
    "first_response_at": pgettext_lazy("CSV column", "first_response_at"),
    "resolved_at": pgettext_lazy("CSV column", "resolved_at"),
    "escalation_count": pgettext_lazy("CSV column", "escalation_count"),
    "reopen_count": pgettext_lazy("CSV column", "reopen_count"),
    "seconds": pgettext_lazy("CSV column", "seconds"),
    "metric": pgettext_lazy("CSV column", "metric"),
    "cycle": pgettext_lazy("CSV column", "cycle"),
    "state": pgettext_lazy("CSV column", "state"),
    "started_at": pgettext_lazy("CSV column", "started_at"),
    "due_at": pgettext_lazy("CSV column", "due_at"),
    "stopped_at": pgettext_lazy("CSV column", "stopped_at"),
    "verdict": pgettext_lazy("CSV column", "verdict"),
    "decided_at": pgettext_lazy("CSV column", "decided_at"),
}


def column_labels(columns: list[str]) -> list[str]:
    """The header of a figure's CSV in the active language (figure_rows gives the names)."""
    return [str(COLUMN_LABELS[name]) for name in columns]


def figure_rows(
    *,
    figure: str,
    period: Period,
    filters: Filters,
    now: datetime,
    metric: str = "",
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The header and rows behind one figure, streamed in chunks (one query per chunk).

    Ticket figures have one row per ticket (with `seconds` where the figure is a duration);
    clock figures (met, breached, at_risk) one row per clock, with its ticket's columns.
    """
    if figure in ("first_response", "resolved", "escalated", "first_contact", "reopened"):
        if figure == "first_response":
            tickets = first_responses(period=period, filters=filters)
        else:
            tickets = resolutions(period=period, filters=filters)
            narrow = {
                "escalated": Q(escalation_count__gt=0),
                "first_contact": Q(tier=Tier.L1, escalation_count=0),
                "reopened": Q(reopen_count__gt=0),
            }.get(figure)
            if narrow is not None:
                tickets = tickets.filter(narrow)
        columns = [*TICKET_COLUMNS, "seconds"]
        return columns, tickets.order_by("pk").values_list(*columns).iterator(chunk_size=2000)
    if figure in ("created", "backlog"):
        if figure == "created":
            tickets = created_tickets(period=period, filters=filters)
        else:
            tickets = backlog_tickets(filters=filters)
        return TICKET_COLUMNS, tickets.order_by("pk").values_list(*TICKET_COLUMNS).iterator(
            chunk_size=2000
        )
    if figure == "at_risk":
        clocks = at_risk_clocks(filters=filters, now=now)
        if metric:
            clocks = clocks.filter(metric=metric)
        columns = [f"ticket__{c}" for c in TICKET_COLUMNS] + CLOCK_COLUMNS
        header = [*TICKET_COLUMNS, *CLOCK_COLUMNS]
        rows = clocks.order_by("ticket_id", "metric", "cycle").values_list(*columns)
        return header, rows.iterator(chunk_size=2000)
    if figure in ("met", "breached"):
        return [*TICKET_COLUMNS, *OUTCOME_COLUMNS], _outcome_rows(
            met=figure == "met", period=period, filters=filters, now=now, metric=metric
        )
    raise ValueError(figure)


def _outcome_rows(
    *, met: bool, period: Period, filters: Filters, now: datetime, metric: str
) -> Iterator[tuple[Any, ...]]:
    """The verdicts of the period (as the compliance figures count them), then, for breaches,
    those the sweep has not recorded yet."""
    end = min(period.end, now)
    ticket_columns = [f"ticket__{c}" for c in TICKET_COLUMNS]
    verdict = Value("met" if met else "breached")
    outcomes = SlaOutcome.objects.filter(at__gte=period.start, at__lt=end, met=met).filter(
        filters_q(filters)
    )

    def listed(rows: QuerySet[Any], decided_at: str) -> Iterator[tuple[Any, ...]]:
        if metric:
            rows = rows.filter(metric=metric)
        return (
            rows.annotate(verdict=verdict, decided_at=F(decided_at))
            .order_by("ticket_id", "metric", "cycle")
            .values_list(*ticket_columns, *OUTCOME_COLUMNS)
            .iterator(chunk_size=2000)
        )

    yield from listed(outcomes, "at")
    if met or period.start >= end:
        return
    pending = unrecorded_breaches(start=period.start, end=end, now=now).filter(
        filters_q(filters, "ticket__")
    )
    yield from listed(pending, "due_at")


# --- the agents' queue health -----------------------------------------------------------------


@dataclass(frozen=True)
class QueueHealth:
    agent: User
    open: int
    at_risk: int
    breached: int
    waiting: int


def agents_for_health(*, user: User) -> list[User]:
    """An agent sees their own queue; a manager every active agent's, and a deactivated
    agent's while they still hold open tickets (nobody works those: leaving them out hid them
    from every figure here). 1 query, 0 for an agent."""
    if user.role == Role.MANAGER:
        holding = Ticket.objects.filter(assignee=OuterRef("pk"), status__in=ACTIVE_STATES)
        return list(
            User.objects.filter(role=Role.AGENT)
            .filter(Q(is_active=True) | Exists(holding))
            .order_by("username")
        )
    if user.role == Role.AGENT:
        return [user]
    return []


def queue_health(*, agents: list[User], now: datetime | None = None) -> list[QueueHealth]:
    """Per agent: open tickets assigned to them (not yet resolved), how many have a clock at
    risk (past 75 %), how many a breached clock, and how many wait on the requester. One
    grouped query."""
    now = now or timezone.now()
    rows = {
        row["assignee_id"]: row
        for row in Ticket.objects.filter(
            assignee_id__in=[a.pk for a in agents], status__in=ACTIVE_STATES
        )
        .order_by()
        .values("assignee_id")
        .annotate(
            open=Count("*"),
            at_risk=Count("pk", filter=Q(sla_at_risk_filter(now=now))),
            breached=Count("pk", filter=Q(sla_breached_filter(now=now))),
            waiting=Count("pk", filter=Q(status=Status.ON_HOLD)),
        )
    }
    empty = {"open": 0, "at_risk": 0, "breached": 0, "waiting": 0}
    return [
        QueueHealth(
            agent=agent,
            open=rows.get(agent.pk, empty)["open"],
            at_risk=rows.get(agent.pk, empty)["at_risk"],
            breached=rows.get(agent.pk, empty)["breached"],
            waiting=rows.get(agent.pk, empty)["waiting"],
        )
        for agent in agents
    ]


def agent_attention_tickets(*, agent: User, now: datetime | None = None) -> QuerySet[Ticket]:
    """The agent's open tickets at risk, breached or waiting on the requester (bounded)."""
    now = now or timezone.now()
    at_risk = sla_at_risk_filter(now=now)
    breached = sla_breached_filter(now=now)
    return (
        Ticket.objects.filter(assignee=agent, status__in=ACTIVE_STATES)
        .filter(Q(at_risk) | Q(breached) | Q(status=Status.ON_HOLD))
        .annotate(is_at_risk=at_risk, is_breached=breached)
        .order_by("priority", "id")
    )


def support_groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.order_by("tier", "name"))


def category_options() -> list[Category]:
    """Every category, in the pickers' tree order (parents, then their subcategories)."""
    return category_tree(active_only=False)
