"""The reads behind /metrics and /readyz: each one index-shaped or a catalogue read, so a scrape
costs the same at 1M tickets as at 100 (bench/RESULTS.md, "Metrics scrape", has the plans)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, Min, Q

from breaches.models import Breach
from notifications.models import DeliveryStatus, Notification
from ops.models import Heartbeat
from sla.models import ClockState, SlaClock, SlaEvent


def heartbeat_at(*, name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def heartbeats() -> dict[str, datetime]:
    return dict(Heartbeat.objects.values_list("name", "at"))


def sla_oldest_due(*, now: datetime) -> datetime | None:
    """The oldest threshold the sweep has not recorded yet (sla_clock_sweep_idx: one row)."""
    return SlaClock.objects.filter(next_alert_at__lt=now).aggregate(oldest=Min("next_alert_at"))[
        "oldest"
    ]


# Below this size (about 100,000 clocks) the clocks are counted; above, estimated.
EXACT_COUNT_MAX_BYTES = 16 * 1024 * 1024


def sla_clocks_by_state() -> dict[str, int] | None:
    """Clocks by state, all five. Counting reads every clock (2M at 1M tickets: 0.75 s, see
    bench/RESULTS.md), so a table bigger than EXACT_COUNT_MAX_BYTES is estimated as
    PostgreSQL's planner does: the table's row estimate times each state's frequency in the
    statistics autovacuum's ANALYZE keeps (a state rarer than about 1 in 15,000 clocks is not
    in them and shows 0). None for a big table never analysed yet. SQLite (the embedded desk)
    and small tables are counted exactly."""
    states = {state.value: 0 for state in ClockState}
    statistics = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_relation_size(c.oid), c.reltuples, "
                "s.most_common_vals::text::text[], s.most_common_freqs "
                "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
                "AND s.tablename = c.relname AND s.attname = 'state' "
                "WHERE c.oid = %s::regclass",
                [SlaClock._meta.db_table],
            )
            statistics = cursor.fetchone()
    if statistics is None or statistics[0] <= EXACT_COUNT_MAX_BYTES:
        rows = SlaClock.objects.order_by().values("state").annotate(n=Count("*"))
        states.update({row["state"]: row["n"] for row in rows})
        return states
    _size, rows_estimate, values, frequencies = statistics
    if rows_estimate is None or rows_estimate < 0 or values is None:
        return None
    for value, frequency in zip(values, frequencies or [], strict=False):
        if value in states:
            states[value] = round(frequency * rows_estimate)
    return states


def sla_events_unapplied() -> int:
    """Recorded thresholds whose effects are not applied yet (sla_event_pending_idx)."""
    return SlaEvent.objects.filter(applied_at__isnull=True).count()


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    oldest: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """Undelivered outbox rows (pending or being sent) and the oldest one's creation time
    (notification_undelivered_idx)."""
    row = Notification.objects.filter(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
    ).aggregate(n=Count("*"), oldest=Min("created_at"))
    return OutboxBacklog(pending=row["n"], oldest=row["oldest"])


@dataclass(frozen=True)
class BreachClocks:
    running: int
    overdue: int
    oldest_due: datetime | None


def breach_clocks(*, now: datetime) -> BreachClocks:
    """The register's 72-hour clocks still running, those past the deadline, and the oldest
    threshold the breach sweep has not recorded yet (the register holds few rows)."""
    row = Breach.objects.filter(clock_stopped_at__isnull=True).aggregate(
        running=Count("*"),
        overdue=Count("pk", filter=Q(notify_due_at__lt=now)),
    )
    oldest = Breach.objects.filter(clock_next_at__lt=now).aggregate(oldest=Min("clock_next_at"))
    return BreachClocks(running=row["running"], overdue=row["overdue"], oldest_due=oldest["oldest"])
