"""The OLA rules on OlaClock instances, without the database (docs/ola.md).

The arithmetic is the SLA engine's (sla.engine: `schedule`, `reached_level`, pauses that move
only the moments they began before), applied to the ticket's state after each change: a
ticket entering a tier starts its clocks, an assignment stops "take", leaving the tier (or
resolving) stops both, hold pauses them, a priority change recomputes them, cancel cancels them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from ola.models import OlaClock, OlaMetric
from sla.calendars import ALWAYS_OPEN, WorkingCalendar
from sla.engine import (
    CalendarFor,
    cancel_verdict,
    end_pause,
    reached_level,
    schedule,
    stop_verdict,
)
from sla.models import OPEN_CLOCK_STATES, ClockState, SlaClock
from tickets.models_choices import Status

BREACH_LEVEL = 100


@dataclass(frozen=True)
class TicketState:
    """What the OLA clocks follow of a ticket, after the change being applied."""

    tier: int
    priority: int
    status: str
    assignee_id: int | None


@dataclass(frozen=True)
class OlaTargetTimes:
    duration: timedelta
    calendar_id: int | None = None
    calendar: WorkingCalendar = ALWAYS_OPEN


# (tier, priority, metric) → the target, or None when no OLA covers it.
OlaTargetFor = Callable[[int, int, str], OlaTargetTimes | None]


def _times(clock: OlaClock) -> SlaClock:
    # The SLA engine reads and writes only the time columns, which OlaClock has by the same
    # names and meanings: one engine for both kinds of clock.
    return cast(SlaClock, clock)


def breach_check_at(clock: OlaClock) -> datetime | None:
    """When the sweep must look at the clock for a breach (sla.engine.next_alert_at with the
    100 % threshold only): None once recorded, stopped in time, or paused before its due time."""
    if clock.state in (ClockState.MET, ClockState.CANCELLED) or clock.alert_level >= BREACH_LEVEL:
        return None
    if clock.state == ClockState.PAUSED and clock.due_at > clock.paused_since:  # type: ignore[operator]
        return None
    return clock.due_at


def breached_by(clock: OlaClock, now: datetime) -> bool:
    return reached_level(_times(clock), now) == BREACH_LEVEL


def _schedule(clock: OlaClock, calendar: WorkingCalendar) -> None:
    schedule(_times(clock), calendar)
    clock.next_alert_at = breach_check_at(clock)


class TierClocks:
    """Every OLA clock of one ticket; `sync` brings them in line with the ticket's state."""

    def __init__(
        self, *, clocks: list[OlaClock], ticket_id: int, calendar_for: CalendarFor
    ) -> None:
        self.clocks = clocks
        self.ticket_id = ticket_id
        self.calendar_for = calendar_for

    def open_clocks(self) -> list[OlaClock]:
        return [c for c in self.clocks if c.state in OPEN_CLOCK_STATES]

    def sync(
        self, state: TicketState, *, at: datetime, target_for: OlaTargetFor, reopened: bool = False
    ) -> None:
        latest_tier = (
            max(self.clocks, key=lambda c: (c.started_at, c.pk or 0)).tier if self.clocks else None
        )
        if state.status == Status.CLOSED:
            for clock in self.open_clocks():
                self._cancel(clock, at)
            return
        # Leaving the tier (escalated on, de-escalated, routed) or resolving ends the stay:
        # both clocks stop, met if in time. Handing on before anyone took it counts as acting.
        ended = state.status == Status.RESOLVED
        for clock in self.open_clocks():
            if ended or clock.tier != state.tier:
                self._stop(clock, at)
        if ended:
            return
        entered = reopened or latest_tier != state.tier
        if entered:
            self._start(OlaMetric.HANDOFF, state, at, target_for)
            if state.assignee_id is None:
                self._start(OlaMetric.TAKE, state, at, target_for)
        for clock in self.open_clocks():
            if clock.metric == OlaMetric.TAKE and state.assignee_id is not None:
                self._stop(clock, at)
            elif clock.priority != state.priority:
                target = target_for(clock.tier, state.priority, clock.metric)
                if target is not None:
                    self._retarget(clock, target, state.priority, at)
        on_hold = state.status == Status.ON_HOLD
        for clock in self.open_clocks():
            if on_hold and clock.state == ClockState.RUNNING:
                clock.state = ClockState.PAUSED
                clock.paused_since = at
                clock.next_alert_at = breach_check_at(clock)
            elif not on_hold and clock.state == ClockState.PAUSED:
                self._run(clock, at)

    # --- the moves (as sla.engine.TicketClocks') ---------------------------------------------

    def _start(
        self, metric: str, state: TicketState, at: datetime, target_for: OlaTargetFor
    ) -> None:
        target = target_for(state.tier, state.priority, metric)
        if target is None:
            return
        cycle = 1 + max(
            (c.cycle for c in self.clocks if c.tier == state.tier and c.metric == metric),
            default=0,
        )
        clock = OlaClock(
            ticket_id=self.ticket_id,
            tier=state.tier,
            metric=metric,
            cycle=cycle,
            started_at=at,
            state=ClockState.RUNNING,
            paused=timedelta(0),
            pauses=[],
            alert_level=0,
        )
        self._set_target(clock, target, state.priority)
        self.clocks.append(clock)

    def _set_target(self, clock: OlaClock, target: OlaTargetTimes, priority: int) -> None:
        clock.target = target.duration
        clock.priority = priority
        clock.calendar_id = target.calendar_id
        _schedule(clock, target.calendar)

    def _retarget(
        self, clock: OlaClock, target: OlaTargetTimes, priority: int, at: datetime
    ) -> None:
        self._set_target(clock, target, priority)
        # A breach the new target puts back in the future is owed again (never notified twice:
        # OlaEvent is unique per clock cycle).
        clock.alert_level = min(clock.alert_level, reached_level(_times(clock), at))
        clock.next_alert_at = breach_check_at(clock)

    def _run(self, clock: OlaClock, at: datetime) -> None:
        """End a pause: its time moves the moments it began before."""
        if clock.state != ClockState.PAUSED or clock.paused_since is None:
            return
        calendar = self.calendar_for(clock.calendar_id)
        end_pause(_times(clock), at, calendar)
        clock.state = ClockState.RUNNING
        _schedule(clock, calendar)

    def _stop(self, clock: OlaClock, at: datetime) -> None:
        self._run(clock, at)
        self._finish(clock, at, stop_verdict(_times(clock), at))

    def _cancel(self, clock: OlaClock, at: datetime) -> None:
        """At or before its due time: neither met nor breached; after it: breached."""
        self._run(clock, at)
        self._finish(clock, at, cancel_verdict(_times(clock), at))

    def _finish(self, clock: OlaClock, at: datetime, state: ClockState) -> None:
        clock.state = state
        clock.stopped_at = at
        clock.next_alert_at = breach_check_at(clock)
