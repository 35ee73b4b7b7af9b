"""The clock rules of DESIGN.md ("SLA"), on SlaClock instances and without the database.

The live hooks (sla.services) and the audit replay (`sla_recompute`) both feed signals to
`TicketClocks.apply`, so an audit recomputes exactly what the hooks did.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sla.calendars import ALWAYS_OPEN, WorkingCalendar, add_business_time, business_time
from sla.models import ClockState, Metric, SlaClock

THRESHOLDS = (75, 90, 100)


class Signal(enum.StrEnum):
    CREATED = "created"
    RECLASSIFIED = "reclassified"  # priority, category or kind changed: new targets
    AGENT_REPLY = "agent_reply"  # a public reply to the requester
    REQUESTER_REPLY = "requester_reply"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    # cancel, or close: a running clock counts neither as met nor as breached if cancelled at or
    # before its due time, as breached after it
    CANCEL = "cancel"


@dataclass(frozen=True)
class Target:
    """What a metric's clock runs against, from the policy matching the ticket now."""

    duration: timedelta
    priority: int
    policy_id: int | None = None
    calendar_id: int | None = None
    calendar: WorkingCalendar = ALWAYS_OPEN


TargetFor = Callable[[str], Target | None]
CalendarFor = Callable[[int | None], WorkingCalendar]


def threshold_times(clock: SlaClock) -> dict[int, datetime]:
    return {75: clock.at_risk_at, 90: clock.warning_at, 100: clock.due_at}


def pause_intervals(clock: SlaClock) -> list[tuple[datetime, datetime]]:
    """The clock's finished pauses, in order (`SlaClock.pauses`)."""
    return [(datetime.fromisoformat(s), datetime.fromisoformat(e)) for s, e in clock.pauses or []]


def moment(
    clock: SlaClock,
    calendar: WorkingCalendar,
    amount: timedelta,
    pauses: list[tuple[datetime, datetime]],
) -> datetime:
    """When the clock's elapsed time, excluding pauses, reaches `amount` (DESIGN.md, "Exact
    rules"): start + amount + the pauses that began before that moment. A pause that begins at
    or after it never moves it, and neither does any later pause."""
    when = add_business_time(calendar, clock.started_at, amount)
    paused = timedelta(0)
    for start, end in pauses:
        if start >= when:
            break
        paused += business_time(calendar, start, end)
        when = add_business_time(calendar, clock.started_at, amount + paused)
    return when


def schedule(clock: SlaClock, calendar: WorkingCalendar) -> None:
    """The 75 %, 90 % and due moments of the clock's target, on its calendar."""
    pauses = pause_intervals(clock)
    # Clocks written before pauses were kept one by one: every paused second counts.
    legacy = clock.paused if not pauses else timedelta(0)
    for attribute, share in (("at_risk_at", 0.75), ("warning_at", 0.9), ("due_at", 1.0)):
        amount = clock.target * share + legacy
        setattr(clock, attribute, moment(clock, calendar, amount, pauses))
    clock.next_alert_at = next_alert_at(clock)


def next_alert_at(clock: SlaClock) -> datetime | None:
    """When the sweep must next look at this clock; None when there is nothing left to record."""
    if clock.state in (ClockState.MET, ClockState.CANCELLED):
        return None
    if clock.state == ClockState.BREACHED:
        # Stopped late before the sweep saw it: the breach is still recorded, once.
        return clock.due_at if clock.alert_level < 100 else None
    for level, when in threshold_times(clock).items():
        if level > clock.alert_level:
            if clock.state == ClockState.PAUSED and when > clock.paused_since:  # type: ignore[operator]
                # A paused clock owes what it had reached when it paused; a moment that falls
                # exactly at the pause's start is not moved by it, so it is still owed.
                return None
            return when
    return None


def reached_level(clock: SlaClock, now: datetime) -> int:
    """The highest threshold the clock had passed by `now` (or by its pause or stop), or 0."""
    if clock.state in (ClockState.MET, ClockState.CANCELLED):
        return 0
    horizon = min(now, clock.stopped_at) if clock.stopped_at else now
    reached = 0
    for level, when in threshold_times(clock).items():
        if clock.state == ClockState.PAUSED and when > clock.paused_since:  # type: ignore[operator]
            break  # after the pause began: not reached while paused
        if when < horizon:
            reached = level
    return reached


def end_pause(clock: SlaClock, at: datetime, calendar: WorkingCalendar) -> None:
    """Close the pause in progress at `at`: its working time joins `paused` and `pauses`
    (the caller reschedules, so it moves the moments it began before)."""
    if clock.paused_since is not None:
        clock.paused += business_time(calendar, clock.paused_since, at)
        clock.pauses = [*(clock.pauses or []), [clock.paused_since.isoformat(), at.isoformat()]]
        clock.paused_since = None


def stop_verdict(clock: SlaClock, at: datetime) -> ClockState:
    """A clock stopped at `at`: met at or before its due time, breached after it."""
    return ClockState.MET if at <= clock.due_at else ClockState.BREACHED


def cancel_verdict(clock: SlaClock, at: datetime) -> ClockState:
    """A clock cancelled at `at`: neither met nor breached at or before its due time, breached
    after it (the breach happened)."""
    return ClockState.BREACHED if at > clock.due_at else ClockState.CANCELLED


class TicketClocks:
    """Every clock of one ticket, changed by signals in time order.

    New clocks are appended unsaved; the caller saves them and those whose fields changed.
    """

    def __init__(
        self,
        *,
        clocks: list[SlaClock],
        ticket_id: int,
        first_response_done: bool,
        calendar_for: CalendarFor,
        trace: list[str] | None = None,
    ) -> None:
        self.clocks = clocks
        self.ticket_id = ticket_id
        self.first_response_done = first_response_done
        self.calendar_for = calendar_for
        self.trace = trace

    # --- queries -----------------------------------------------------------------------------

    def open_clock(self, metric: str) -> SlaClock | None:
        for clock in self.clocks:
            if clock.metric == metric and clock.state in (ClockState.RUNNING, ClockState.PAUSED):
                return clock
        return None

    def next_cycle(self, metric: str) -> int:
        return 1 + max((c.cycle for c in self.clocks if c.metric == metric), default=0)

    # --- the rules ---------------------------------------------------------------------------

    def apply(self, signal: Signal, *, at: datetime, target_for: TargetFor, note: str = "") -> None:
        self._log(at, f"{signal}" + (f" ({note})" if note else ""))
        if signal == Signal.CREATED:
            self._start(Metric.FIRST_RESPONSE, at, target_for)
            self._start(Metric.RESOLUTION, at, target_for)
        elif signal == Signal.RECLASSIFIED:
            for clock in self._open():
                target = target_for(clock.metric)
                if target is not None:
                    self._retarget(clock, target, at)
        elif signal == Signal.AGENT_REPLY:
            self.first_response_done = True
            self._stop(Metric.FIRST_RESPONSE, at)
            self._stop(Metric.NEXT_RESPONSE, at)
        elif signal == Signal.REQUESTER_REPLY:
            if self.first_response_done and self.open_clock(Metric.NEXT_RESPONSE) is None:
                self._start(Metric.NEXT_RESPONSE, at, target_for)
        elif signal == Signal.HOLD:
            self._pause(Metric.RESOLUTION, at)
        elif signal == Signal.RESUME:
            self._resume(Metric.RESOLUTION, at)
        elif signal == Signal.RESOLVE:
            # The resolution summary goes to the requester: it is also a public reply.
            self.first_response_done = True
            for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION):
                self._stop(metric, at)
        elif signal == Signal.REOPEN:
            if self.open_clock(Metric.RESOLUTION) is None:
                self._start(Metric.RESOLUTION, at, target_for)
        elif signal == Signal.CANCEL:
            for clock in self._open():
                self._cancel(clock, at)

    def _open(self) -> list[SlaClock]:
        return [c for c in self.clocks if c.state in (ClockState.RUNNING, ClockState.PAUSED)]

    def _start(self, metric: str, at: datetime, target_for: TargetFor) -> None:
        target = target_for(metric)
        if target is None:
            self._log(at, f"  {metric}: no policy matches, no clock")
            return
        clock = SlaClock(
            ticket_id=self.ticket_id,
            metric=metric,
            cycle=self.next_cycle(metric),
            started_at=at,
            state=ClockState.RUNNING,
            paused=timedelta(0),
            alert_level=0,
        )
        self._set_target(clock, target)
        self.clocks.append(clock)
        self._log(at, f"  {self._name(clock)} starts: {self._arithmetic(clock)}")

    def _retarget(self, clock: SlaClock, target: Target, at: datetime) -> None:
        before = clock.due_at
        self._set_target(clock, target)
        # A threshold the new target puts back in the future is owed again: the sweep records
        # it when it passes (an event already recorded is not recorded or notified twice, but
        # the verdict follows the clock).
        clock.alert_level = min(clock.alert_level, reached_level(clock, at))
        clock.next_alert_at = next_alert_at(clock)
        if clock.due_at != before:
            self._log(None, f"  {self._name(clock)} recomputed: {self._arithmetic(clock)}")

    def _set_target(self, clock: SlaClock, target: Target) -> None:
        clock.target = target.duration
        clock.priority = target.priority
        clock.policy_id = target.policy_id
        clock.calendar_id = target.calendar_id
        schedule(clock, target.calendar)

    def _pause(self, metric: str, at: datetime) -> None:
        clock = self.open_clock(metric)
        if clock is None or clock.state != ClockState.RUNNING:
            return
        clock.state = ClockState.PAUSED
        clock.paused_since = at
        clock.next_alert_at = next_alert_at(clock)
        self._log(at, f"  {self._name(clock)} paused")

    def _resume(self, metric: str, at: datetime) -> None:
        clock = self.open_clock(metric)
        if clock is None or clock.state != ClockState.PAUSED:
            return
        self._unpause(clock, at)
        clock.state = ClockState.RUNNING
        schedule(clock, self.calendar_for(clock.calendar_id))
        self._log(at, f"  {self._name(clock)} resumes: {self._arithmetic(clock)}")

    def _unpause(self, clock: SlaClock, at: datetime) -> None:
        if clock.paused_since is not None:
            end_pause(clock, at, self.calendar_for(clock.calendar_id))

    def _stop(self, metric: str, at: datetime) -> None:
        clock = self.open_clock(metric)
        if clock is None:
            return
        self._run(clock, at)
        self._finish(clock, at, stop_verdict(clock, at))

    def _cancel(self, clock: SlaClock, at: datetime) -> None:
        """Cancelled at or before its due time: neither met nor breached; after it: breached
        (the breach happened), and the clock says so."""
        self._run(clock, at)
        verdict = cancel_verdict(clock, at)
        self._finish(clock, at, verdict)
        if verdict == ClockState.BREACHED:
            self._log(None, f"  {self._name(clock)} was cancelled after its due time")

    def _run(self, clock: SlaClock, at: datetime) -> None:
        """End a pause in progress: its time moves the moments it began before."""
        if clock.state == ClockState.PAUSED:
            self._unpause(clock, at)
            clock.state = ClockState.RUNNING
            schedule(clock, self.calendar_for(clock.calendar_id))

    def _finish(self, clock: SlaClock, at: datetime, state: ClockState) -> None:
        clock.state = state
        clock.stopped_at = at
        clock.next_alert_at = next_alert_at(clock)
        if state == ClockState.CANCELLED:
            self._log(at, f"  {self._name(clock)} cancelled (neither met nor breached)")
        else:
            margin = clock.due_at - at
            how = f"{_hours(margin)} early" if margin >= timedelta(0) else f"{_hours(-margin)} late"
            self._log(
                at,
                f"  {self._name(clock)} stopped at {_t(at)}, due {_t(clock.due_at)}: "
                f"{state.upper()} ({how})",
            )

    # --- explaining --------------------------------------------------------------------------

    def _name(self, clock: SlaClock) -> str:
        return f"{clock.metric} #{clock.cycle}"

    def _arithmetic(self, clock: SlaClock) -> str:
        calendar = "24×7" if clock.calendar_id is None else f"calendar {clock.calendar_id}"
        return (
            f"start {_t(clock.started_at)} + target {_hours(clock.target)} (P{clock.priority}, "
            f"policy {clock.policy_id}) + paused {_hours(clock.paused)} on {calendar} "
            f"→ due {_t(clock.due_at)}"
        )

    def _log(self, at: datetime | None, line: str) -> None:
        if self.trace is not None:
            self.trace.append(f"{_t(at) if at else '':>25}  {line}")


def _t(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def _hours(amount: timedelta) -> str:
    seconds = int(amount.total_seconds())
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"
