"""The reads behind /metrics and /readyz: each one index-shaped, so a scrape costs the same at
1M tickets as at 100 (bench/RESULTS.md, "Metrics scrape", has the plans and timings)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q

from breaches.models import Breach
from notifications.models import DeliveryStatus, Notification
from ops.models import Heartbeat
from sla.models import OPEN_CLOCK_STATES, SlaClock, SlaEvent


def heartbeat_at(*, name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def heartbeats() -> dict[str, datetime]:
    return dict(Heartbeat.objects.values_list("name", "at"))


def sla_oldest_due(*, now: datetime) -> datetime | None:
    """The oldest threshold the sweep has not recorded yet (sla_clock_sweep_idx: one row)."""
    return SlaClock.objects.filter(next_alert_at__lt=now).aggregate(oldest=Min("next_alert_at"))[
        "oldest"
    ]


def sla_open_clocks() -> dict[str, int]:
    """Running and paused clocks (the partial unique index of open clocks). Finished clocks
    (met, breached, cancelled) only grow; the reports count them by period, not the scrape."""
    counts = {state.value: 0 for state in OPEN_CLOCK_STATES}
    rows = (
        SlaClock.objects.filter(state__in=OPEN_CLOCK_STATES)
        .order_by()
        .values("state")
        .annotate(n=Count("*"))
    )
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


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
