"""Reads of the OLA app: the targets (kept per process), a ticket's clocks as countdowns, and
the dashboard's met/breached per tier."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.db.models import Count, F, Q
from django.utils import timezone

from escalation.models import Tier
from helpdesk.config_cache import ConfigValue
from ola.engine import OlaTargetFor, OlaTargetTimes
from ola.models import OlaClock, OlaMetric, OlaTarget
from sla.models import ClockState, SlaClock
from sla.selectors import CalendarCache, clock_status
from tickets.models import Ticket

# (tier, priority) → (take within, hand on within, calendar id)
TargetTable = dict[tuple[int, int], tuple[timedelta | None, timedelta | None, int | None]]


def _load_targets() -> TargetTable:
    return {
        (t.tier, t.priority): (t.take_within, t.handoff_within, t.calendar_id)
        for t in OlaTarget.objects.all()
    }


# 1 query; kept per process until the configuration changes (helpdesk.config_cache).
_targets: ConfigValue[TargetTable] = ConfigValue(_load_targets)


def ola_target_table() -> TargetTable:
    """Every target by (tier, priority), from the process's copy while unchanged."""
    return _targets.get()


def ola_target_lookup(*, calendars: CalendarCache) -> OlaTargetFor:
    """The OLA target of a tier, priority and metric, read when first needed."""
    loaded: list[TargetTable] = []

    def target_for(tier: int, priority: int, metric: str) -> OlaTargetTimes | None:
        if not loaded:
            loaded.append(ola_target_table())
        row = loaded[0].get((tier, priority))
        if row is None:
            return None
        take, handoff, calendar_id = row
        duration = take if metric == OlaMetric.TAKE else handoff
        if duration is None:
            return None
        return OlaTargetTimes(
            duration=duration, calendar_id=calendar_id, calendar=calendars(calendar_id)
        )

    return target_for


def ola_targets() -> list[OlaTarget]:
    return list(OlaTarget.objects.select_related("calendar").order_by("tier", "priority"))


# --- a ticket's clocks ---------------------------------------------------------------------------


def ola_clocks_for_ticket(*, ticket: Ticket) -> list[OlaClock]:
    """Uses `ticket.ola_clock_list` when a write just set it, else 1 query."""
    prefetched: list[OlaClock] | None = getattr(ticket, "ola_clock_list", None)
    if prefetched is not None:
        return prefetched
    return list(OlaClock.objects.filter(ticket=ticket).order_by("id"))


def ola_clock_status(clock: OlaClock, *, now: datetime) -> dict[str, Any]:
    """What the API and the countdown show for one clock: the SLA countdown's figures
    (sla.selectors.clock_status, the same time columns) and the clock's tier."""
    return {"tier": clock.tier, **clock_status(cast(SlaClock, clock), now=now)}


def ticket_ola_status(*, ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    """The clocks of the ticket's current stay in its tier (the latest cycle of each metric
    at the ticket's tier), take first."""
    now = now or timezone.now()
    latest: dict[str, OlaClock] = {}
    for clock in ola_clocks_for_ticket(ticket=ticket):
        if clock.tier != ticket.tier:
            continue
        if clock.metric not in latest or clock.cycle > latest[clock.metric].cycle:
            latest[clock.metric] = clock
    order = [OlaMetric.TAKE, OlaMetric.HANDOFF]
    return [ola_clock_status(latest[m], now=now) for m in order if m in latest]


# --- the dashboard -------------------------------------------------------------------------------


@dataclass
class OlaFigure:
    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return None if not self.total else round(100 * self.met / self.total, 1)


@dataclass
class OlaTierRow:
    tier: int
    label: str
    figures: dict[str, OlaFigure] = field(default_factory=dict)


def ola_compliance(
    *, start: datetime, end: datetime, now: datetime | None = None
) -> list[OlaTierRow]:
    """Met and breached OLA clocks per tier and metric, counted in the period in which they
    were met (stopped in time) or breached (at their due time), 1 query. Read from the clocks
    themselves, so a recompute revises the figures at once; an open clock past its due time
    counts as breached before the sweep records it (as the SLA dashboard's)."""
    now = now or timezone.now()
    met = Q(state=ClockState.MET, stopped_at__gte=start, stopped_at__lt=end)
    overdue_open = Q(state=ClockState.RUNNING, due_at__lt=now) | Q(
        state=ClockState.PAUSED, due_at__lt=F("paused_since")
    )
    breached = Q(due_at__gte=start, due_at__lt=end) & (Q(state=ClockState.BREACHED) | overdue_open)
    rows = (
        OlaClock.objects.filter(met | breached)
        .values("tier", "metric")
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            breached=Count("id", filter=~Q(state=ClockState.MET)),
        )
        .order_by()
    )
    table = {
        tier: OlaTierRow(
            tier=tier, label=str(label), figures={m: OlaFigure() for m in OlaMetric.values}
        )
        for tier, label in Tier.choices
    }
    for row in rows:
        table[row["tier"]].figures[row["metric"]] = OlaFigure(
            met=row["met"], breached=row["breached"]
        )
    return list(table.values())
