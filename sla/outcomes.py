"""Clock verdicts for the dashboards (`SlaOutcome`) and their counts per day (`SlaOutcomeDay`).

A verdict is what the clock says (DESIGN.md, "Exact rules"; `verdict_of`): met at its stop,
or breached at its due time once the sweep has recorded the breach. It follows the clock: when
a recompute (a priority change, `sla_recompute`) moves a clock's due time or changes its
outcome, its verdict is revised, removed or added, and the day counts move with it (the old
day and dimensions lose one, the new ones gain one). The breach event the sweep recorded and
notified stays: it happened.

Writers hold the clocks' row locks, so no two revise the same clock at once: the SLA hooks
(a ticket change), the sweep (a breach) and the rebuild (`sla_recompute`).
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

from sla.engine import reached_level
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


def verdict_of(clock: SlaClock, *, now: datetime) -> Verdict | None:
    """What a report counts for the clock as of `now`.

    Met at its stop when it stopped in time. Breached at its due time when it is past it
    (stopped late, cancelled late, or still open) and the sweep has recorded the breach (alert
    level 100). Nothing while it runs in time, when it was cancelled in time, or while the
    sweep still owes the breach (the dashboard counts those from the clock meanwhile:
    `reports.compliance.unrecorded_breaches`).
    """
    if clock.state == ClockState.MET and clock.stopped_at is not None:
        return Verdict.of(clock, met=True, at=clock.stopped_at)
    if clock.state == ClockState.CANCELLED or clock.alert_level < BREACH_LEVEL:
        return None
    if reached_level(clock, now) == BREACH_LEVEL:
        return Verdict.of(clock, met=False, at=clock.due_at)
    return None


Key = tuple[int, str, int]


def outcomes_revise(
    *,
    clocks: Iterable[SlaClock],
    now: datetime,
    dimensions: dict[int, Dimensions] | None = None,
    whole_tickets: bool = False,
) -> int:
    """Make the recorded verdicts of `clocks` say what the clocks say (`verdict_of`); how many
    were added, revised or removed. `whole_tickets`: the clocks are all their tickets'
    clocks, and a verdict of any other cycle is removed. `dimensions`: the tickets' kind,
    priority… for verdicts added or revised (loaded if missing).

    Call inside the transaction that holds the clocks' locks. One lookup, then one statement
    per kind of change (insert, update, delete, day counts) only when there is one.
    """
    desired: dict[Key, Verdict | None] = {}
    for clock in clocks:
        desired[(clock.ticket_id, clock.metric, clock.cycle)] = verdict_of(clock, now=now)
    return _reconcile(desired, dimensions, whole_tickets=whole_tickets)


def outcomes_record(*, verdicts: list[Verdict], dimensions: dict[int, Dimensions]) -> int:
    """Record these verdicts, revising any recorded differently; how many changed.

    Call inside the transaction that holds the clocks' locks (the sweep records breaches so).
    """
    return _reconcile({(v.ticket_id, v.metric, v.cycle): v for v in verdicts}, dimensions)


def _reconcile(
    desired: dict[Key, Verdict | None],
    dimensions: dict[int, Dimensions] | None,
    *,
    whole_tickets: bool = False,
) -> int:
    if not desired:
        return 0
    ticket_ids = {key[0] for key in desired}
    recorded = {
        (o.ticket_id, o.metric, o.cycle): o
        for o in SlaOutcome.objects.filter(ticket_id__in=ticket_ids)
        if whole_tickets or (o.ticket_id, o.metric, o.cycle) in desired
    }
    if whole_tickets:
        for key in recorded:
            desired.setdefault(key, None)
    new: list[SlaOutcome] = []
    revised: list[tuple[SlaOutcome, SlaOutcome]] = []  # (as recorded, as now)
    removed: list[SlaOutcome] = []
    for key, verdict in desired.items():
        outcome = recorded.get(key)
        if verdict is None:
            if outcome is not None:
                removed.append(outcome)
        elif outcome is None:
            new.append(SlaOutcome(ticket_id=key[0], metric=key[1], cycle=key[2]))
        elif (outcome.met, outcome.at) != (verdict.met, verdict.at):
            revised.append((_copy(outcome), outcome))
    changed = [*new, *(after for _before, after in revised)]
    if changed:
        missing = {o.ticket_id for o in changed} - set(dimensions or {})
        dimensions = {**(dimensions or {}), **(dimensions_of(missing) if missing else {})}
        for outcome in changed:
            verdict = desired[(outcome.ticket_id, outcome.metric, outcome.cycle)]
            assert verdict is not None  # noqa: S101 (only verdicts are added or revised)
            outcome.met, outcome.at = verdict.met, verdict.at
            dims = dimensions[outcome.ticket_id]
            for name in DIMENSIONS:
                setattr(outcome, name, getattr(dims, name))
    if new:
        SlaOutcome.objects.bulk_create(new)
    if revised:
        SlaOutcome.objects.bulk_update(
            [after for _before, after in revised], ["met", "at", *DIMENSIONS]
        )
    if removed:
        SlaOutcome.objects.filter(pk__in=[o.pk for o in removed]).delete()
    _count_in_days(added=changed, taken=[*removed, *(before for before, _after in revised)])
    return len(changed) + len(removed)


def _copy(outcome: SlaOutcome) -> SlaOutcome:
    return SlaOutcome(
        ticket_id=outcome.ticket_id,
        metric=outcome.metric,
        cycle=outcome.cycle,
        met=outcome.met,
        at=outcome.at,
        **{name: getattr(outcome, name) for name in DIMENSIONS},
    )


def _day_key(outcome: SlaOutcome) -> tuple[Any, ...]:
    return (rollup_day(outcome.at), outcome.metric, *(getattr(outcome, n) for n in DIMENSIONS))


def _count_in_days(*, added: list[SlaOutcome], taken: list[SlaOutcome]) -> None:
    """Add the verdicts `added` to their days and take `taken` off theirs."""
    deltas: defaultdict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for outcome in added:
        deltas[_day_key(outcome)][0 if outcome.met else 1] += 1
    for outcome in taken:
        deltas[_day_key(outcome)][0 if outcome.met else 1] -= 1
    table = SlaOutcomeDay._meta.db_table
    columns = ["day", "metric", *DIMENSIONS, "met", "breached"]
    ups = [(*k, max(m, 0), max(b, 0)) for k, (m, b) in deltas.items() if m > 0 or b > 0]
    downs = [(max(-m, 0), max(-b, 0), *k) for k, (m, b) in deltas.items() if m < 0 or b < 0]
    with connection.cursor() as cursor:
        if ups:
            # The same upsert on PostgreSQL and SQLite (3.24+): concurrent writers add, never
            # overwrite.
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (model table, fields)
                f"VALUES ({', '.join(['%s'] * len(columns))}) "
                f"ON CONFLICT (day, metric, {', '.join(DIMENSIONS)}) DO UPDATE SET "
                f"met = {table}.met + excluded.met, "
                f"breached = {table}.breached + excluded.breached",
                ups,
            )
        if downs:
            where = " AND ".join(f"{name} = %s" for name in ["day", "metric", *DIMENSIONS])
            cursor.executemany(
                f"UPDATE {table} SET met = met - %s, breached = breached - %s "  # noqa: S608
                f"WHERE {where}",
                downs,
            )


def dimensions_of(ticket_ids: Iterable[int]) -> dict[int, Dimensions]:
    tickets = Ticket.objects.filter(pk__in=set(ticket_ids)).only("id", *DIMENSIONS)
    return {ticket.pk: Dimensions.of(ticket) for ticket in tickets}


# --- rebuilding -----------------------------------------------------------------------------------


def outcomes_backfill(*, batch_size: int = 5000) -> int:
    """Record what the clocks say (`verdict_of`) for the met clocks and those whose breach the
    sweep has recorded, revising verdicts recorded otherwise; how many changed. Idempotent;
    for installations that predate the outcomes, and benches."""
    now = timezone.now()
    decided = SlaClock.objects.filter(
        Q(state=ClockState.MET) | Q(alert_level__gte=BREACH_LEVEL)
    ).order_by("id")
    total, last_id = 0, 0
    while True:
        clocks = list(
            decided.filter(id__gt=last_id).only(
                "id",
                "ticket_id",
                "metric",
                "cycle",
                "state",
                "stopped_at",
                "paused_since",
                "at_risk_at",
                "warning_at",
                "due_at",
                "alert_level",
            )[:batch_size]
        )
        if not clocks:
            return total
        last_id = clocks[-1].pk
        verdicts = [v for v in (verdict_of(c, now=now) for c in clocks) if v is not None]
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
