"""Recording clock verdicts for the dashboards (`SlaOutcome`) and adding them up per day
(`SlaOutcomeDay`).

Two writers, both holding the clocks' row locks, so no two record the same clock at once:
the SLA service when a ticket change stops a clock in time (met), and the sweep when it
records a breach. A verdict already recorded for the ticket, metric and cycle is skipped.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from sla.models import ClockState, Metric, SlaClock, SlaOutcome, SlaOutcomeDay
from tickets.models import Ticket

BREACH_LEVEL = 100
REBUILD_CHUNK = 5000
DIMENSIONS = ["kind", "priority", "tier", "category_id", "support_group_id"]


@dataclass(frozen=True)
class Dimensions:
    """What the dashboard filters and breaks figures down by, as of the verdict."""

    kind: str
    priority: int
    tier: int
    category_id: int
    support_group_id: int

    @classmethod
    def of(cls, ticket: Ticket) -> "Dimensions":
        return cls(
            kind=ticket.kind,
            priority=ticket.priority,
            tier=ticket.tier,
            category_id=ticket.category_id or 0,
            support_group_id=ticket.support_group_id or 0,
        )


@dataclass(frozen=True)
class Verdict:
    ticket_id: int
    metric: str
    cycle: int
    met: bool
    at: datetime

    @classmethod
    def of(cls, clock: SlaClock, *, met: bool, at: datetime) -> "Verdict":
        return cls(
            ticket_id=clock.ticket_id, metric=clock.metric, cycle=clock.cycle, met=met, at=at
        )


def rollup_zone() -> ZoneInfo:
    """The zone whose days `SlaOutcomeDay` counts in (changing it needs
    `manage.py sla_outcomes_rebuild`)."""
    return ZoneInfo(settings.TIME_ZONE)


def rollup_day(at: datetime) -> date:
    return timezone.localtime(at, rollup_zone()).date()


def verdicts_of_stopped(clocks: Iterable[SlaClock]) -> list[Verdict]:
    """Clocks that were met: the ticket change that stopped them records it. (A late stop
    is left to the sweep, which records every breach with its notifications.)"""
    return [
        Verdict.of(c, met=True, at=c.stopped_at)
        for c in clocks
        if c.state == ClockState.MET and c.stopped_at is not None
    ]


def outcomes_record(*, verdicts: list[Verdict], dimensions: dict[int, Dimensions]) -> int:
    """Record the verdicts not recorded yet and add them to their days; how many were new.

    Call inside the transaction that holds the clocks' locks. Three statements whatever the
    number of verdicts (one lookup, one insert, one upsert of the days).
    """
    if not verdicts:
        return 0
    ticket_ids = {v.ticket_id for v in verdicts}
    recorded = set(
        SlaOutcome.objects.filter(ticket_id__in=ticket_ids).values_list(
            "ticket_id", "metric", "cycle"
        )
    )
    new: list[SlaOutcome] = []
    for verdict in verdicts:
        key = (verdict.ticket_id, verdict.metric, verdict.cycle)
        if key in recorded:
            continue
        recorded.add(key)
        dims = dimensions[verdict.ticket_id]
        new.append(
            SlaOutcome(
                ticket_id=verdict.ticket_id,
                metric=verdict.metric,
                cycle=verdict.cycle,
                met=verdict.met,
                at=verdict.at,
                kind=dims.kind,
                priority=dims.priority,
                tier=dims.tier,
                category_id=dims.category_id,
                support_group_id=dims.support_group_id,
            )
        )
    if not new:
        return 0
    SlaOutcome.objects.bulk_create(new)
    _add_to_days(new)
    return len(new)


def _add_to_days(outcomes: list[SlaOutcome]) -> None:
    counts: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        key = (rollup_day(outcome.at), outcome.metric, *(getattr(outcome, n) for n in DIMENSIONS))
        counts[key][0 if outcome.met else 1] += 1
    rows = [(*key, met, breached) for key, (met, breached) in counts.items()]
    table = SlaOutcomeDay._meta.db_table
    columns = ["day", "metric", *DIMENSIONS, "met", "breached"]
    # The same upsert on PostgreSQL and SQLite (3.24+): concurrent writers add, never overwrite.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (model table and fields)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (day, metric, {', '.join(DIMENSIONS)}) DO UPDATE SET "
        f"met = {table}.met + excluded.met, breached = {table}.breached + excluded.breached"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def dimensions_of(ticket_ids: Iterable[int]) -> dict[int, Dimensions]:
    tickets = Ticket.objects.filter(pk__in=set(ticket_ids)).only("id", *DIMENSIONS)
    return {ticket.pk: Dimensions.of(ticket) for ticket in tickets}


# --- rebuilding -----------------------------------------------------------------------------------


def outcomes_backfill(*, batch_size: int = 5000) -> int:
    """Record what the clocks already say: met clocks, and every breach the sweep has recorded
    (alert level 100). Idempotent; for installations that predate the outcomes, and benches."""
    decided = SlaClock.objects.filter(
        Q(state=ClockState.MET) | Q(alert_level__gte=BREACH_LEVEL)
    ).order_by("id")
    total, last_id = 0, 0
    while True:
        clocks = list(
            decided.filter(id__gt=last_id).only(
                "id", "ticket_id", "metric", "cycle", "state", "stopped_at", "due_at", "alert_level"
            )[:batch_size]
        )
        if not clocks:
            return total
        last_id = clocks[-1].pk
        verdicts = []
        for c in clocks:
            # A recorded breach came first (the clock was retargeted and met later): it stands.
            met = c.state == ClockState.MET and c.alert_level < BREACH_LEVEL
            verdicts.append(
                Verdict.of(c, met=met, at=(c.stopped_at or c.due_at) if met else c.due_at)
            )
        with transaction.atomic():
            total += outcomes_record(
                verdicts=verdicts, dimensions=dimensions_of(v.ticket_id for v in verdicts)
            )


TIME_TO_RESOLVE_SQL = """
UPDATE tickets_ticket AS t
SET time_to_resolve = t.resolved_at - t.created_at - COALESCE(
    (SELECT SUM(c.paused) FROM sla_slaclock AS c
     WHERE c.ticket_id = t.id AND c.metric = 'resolution'),
    interval '0')
WHERE t.resolved_at IS NOT NULL AND t.time_to_resolve IS NULL
"""


def times_to_resolve_backfill() -> int:
    """Store the time to resolve of resolved tickets that have none (resolved − created −
    the paused time of their resolution clocks), as the SLA service does on resolve."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(TIME_TO_RESOLVE_SQL)
            return cursor.rowcount
    paused = dict(
        SlaClock.objects.filter(metric=Metric.RESOLUTION)
        .values("ticket_id")
        .annotate(total=Sum("paused"))
        .values_list("ticket_id", "total")
    )
    tickets = list(
        Ticket.objects.filter(resolved_at__isnull=False, time_to_resolve__isnull=True).only(
            "id", "created_at", "resolved_at"
        )
    )
    for ticket in tickets:
        assert ticket.resolved_at is not None  # noqa: S101 (filtered above)
        ticket.time_to_resolve = (
            ticket.resolved_at - ticket.created_at - (paused.get(ticket.pk) or timedelta(0))
        )
    Ticket.objects.bulk_update(tickets, ["time_to_resolve"], batch_size=500)
    return len(tickets)


def outcome_days_rebuild() -> int:
    """Recount every day from the outcomes (after a change of settings.TIME_ZONE)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # TRUNCATE gives the old rows' space back at once (after a DELETE the table and
            # its covering index stay twice their size), and its lock holds back the
            # verdicts recorded meanwhile until the new counts are in: none is lost.
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {SlaOutcomeDay._meta.db_table}")
        else:
            SlaOutcomeDay.objects.all().delete()
        rows = (
            SlaOutcome.objects.annotate(day=TruncDate("at", tzinfo=rollup_zone()))
            .values("day", "metric", *DIMENSIONS)
            .annotate(
                n_met=Count("pk", filter=Q(met=True)), n_breached=Count("pk", filter=Q(met=False))
            )
            .order_by("day")  # stored in day order, as recorded live: a range reads few pages
        )
        # Written a chunk at a time as read: a year at 1M tickets is 400k day rows.
        total, chunk = 0, []
        for row in rows.iterator(chunk_size=REBUILD_CHUNK):
            chunk.append(SlaOutcomeDay(met=row.pop("n_met"), breached=row.pop("n_breached"), **row))
            if len(chunk) == REBUILD_CHUNK:
                total += len(SlaOutcomeDay.objects.bulk_create(chunk))
                chunk = []
        total += len(SlaOutcomeDay.objects.bulk_create(chunk))
    return total
