"""Business-hours arithmetic against a slow, obviously correct minute-by-minute reference.

Hypothesis draws calendars (opening intervals per weekday on a 15-minute grid, some running to
midnight, some overlapping; holidays), a time zone (Europe/Madrid, or America/Mexico_City, which
kept DST until October 2022 and has none since) and a fortnight around a DST change (or a date
on which Mexico would have changed before 2022). The reference walks that fortnight one UTC
minute at a time and asks DESIGN.md's question of each minute: is its local date a working day,
and is its local time inside that weekday's hours? A skipped hour has no minutes in UTC, and the
repeated hour's minutes come twice, so the rule for DST changes needs no code of its own.

Checked: `business_time` and `add_business_time` (sla/calendars.py), and the due, 90 % and 75 %
moments of a resolution clock (sla/engine.py) with pauses: the first moment at which the working
minutes outside the pauses reach the target's share.
"""

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla.calendars import WorkingCalendar, add_business_time, business_hours, business_time
from sla.engine import Signal, Target, TicketClocks
from sla.models import Metric

MINUTE = timedelta(minutes=1)
WINDOW_DAYS = 9
# (time zone, the day of a DST change, or of a change Mexico no longer makes)
PERIODS = [
    ("Europe/Madrid", date(2024, 3, 31)),  # 02:00 → 03:00, a 23-hour day
    ("Europe/Madrid", date(2024, 10, 27)),  # 03:00 → 02:00, a 25-hour day
    ("Europe/Madrid", date(2025, 3, 30)),
    ("Europe/Madrid", date(2025, 10, 26)),
    ("Europe/Madrid", date(2025, 7, 14)),  # no change
    ("America/Mexico_City", date(2021, 4, 4)),  # 02:00 → 03:00
    ("America/Mexico_City", date(2021, 10, 31)),  # 02:00 → 01:00
    ("America/Mexico_City", date(2022, 10, 30)),  # the last change back
    ("America/Mexico_City", date(2023, 4, 2)),  # no change any more
    ("America/Mexico_City", date(2024, 10, 27)),
]

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("SLA_CALENDAR_EXAMPLES", "60")),
    deadline=None,
    database=None,  # tests write nothing into the checkout
    derandomize=os.environ.get("SLA_CALENDAR_RANDOM") is None,  # the same examples in CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Spec:
    """A calendar as data, for the reference, and the WorkingCalendar built from it."""

    time_zone: str
    weekly: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date]
    window_start: datetime  # UTC, on a minute

    @property
    def calendar(self) -> WorkingCalendar:
        return business_hours(time_zone=self.time_zone, weekly=self.weekly, holidays=self.holidays)


class Reference:
    """Every minute of the window, working or not, by DESIGN.md's rule."""

    def __init__(self, spec: Spec) -> None:
        zone = ZoneInfo(spec.time_zone)
        self.start = spec.window_start
        self.working: list[bool] = []
        for index in range(WINDOW_DAYS * 24 * 60):
            local = (self.start + index * MINUTE).astimezone(zone)
            clock = local.time().replace(tzinfo=None, fold=0)
            self.working.append(
                local.date() not in spec.holidays
                and any(
                    opens <= clock and (closes == time(0) or clock < closes)
                    for opens, closes in spec.weekly.get(local.weekday(), [])
                )
            )

    def index(self, moment: datetime) -> int:
        return int((moment - self.start) / MINUTE)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        return sum(self.working[self.index(start) : self.index(end)]) * MINUTE

    def add(
        self, start: datetime, minutes: int, pauses: list[tuple[int, int]] = ()
    ) -> datetime | None:
        """The end of the minute in which the working minutes from `start` outside `pauses`
        (minute indexes, [begin, end)) reach `minutes`; `start` itself for 0; None if that is
        beyond the window."""
        if minutes == 0:
            return start
        paused = [False] * len(self.working)
        for begin, end in pauses:
            paused[begin:end] = [True] * (end - begin)
        counted = 0
        for index in range(self.index(start), len(self.working)):
            if self.working[index] and not paused[index]:
                counted += 1
                if counted == minutes:
                    return self.start + (index + 1) * MINUTE
        return None

    def available(self, start: datetime) -> int:
        return sum(self.working[self.index(start) :])


QUARTERS = [time(hour, minute) for hour in range(24) for minute in (0, 15, 30, 45)]
# Where the clocks change (01:00–03:00 in both zones): half the interval ends fall near there.
NEAR_CHANGE = [t for t in QUARTERS if time(0, 45) <= t <= time(3, 15)]


@st.composite
def intervals(draw: st.DrawFn) -> tuple[time, time]:
    opens = draw(st.sampled_from(QUARTERS) | st.sampled_from(NEAR_CHANGE[:-1]))
    later = [t for t in QUARTERS if t > opens] + [time(0)]  # 00:00: until midnight
    near = [t for t in NEAR_CHANGE if t > opens]
    return opens, draw(st.sampled_from(later) | st.sampled_from(near or later))


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    time_zone, change = draw(st.sampled_from(PERIODS))
    weekly = {
        day: draw(st.lists(intervals(), max_size=3))
        for day in range(7)
        if draw(st.booleans()) or day == 6  # Sunday always has a chance, so never empty
    }
    if not any(weekly.values()):
        weekly[change.weekday()] = [(time(1), time(4))]  # across the change
    first_day = change - timedelta(days=draw(st.integers(0, 4)))
    days = [first_day + timedelta(days=n) for n in range(WINDOW_DAYS)]
    holidays = frozenset(draw(st.lists(st.sampled_from(days), max_size=4)))
    midnight = datetime.combine(first_day, time(0), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)
    return Spec(time_zone, weekly, holidays, midnight)


@st.composite
def moments(draw: st.DrawFn, spec: Spec, *, within_days: int = WINDOW_DAYS) -> datetime:
    minutes = draw(st.integers(0, within_days * 24 * 60 - 1))
    return spec.window_start + minutes * MINUTE


@given(data=st.data(), spec=specs())
@PROPERTY_SETTINGS
def test_business_time_counts_the_working_minutes(data, spec):
    reference = Reference(spec)
    start = data.draw(moments(spec))
    end = data.draw(moments(spec))
    start, end = min(start, end), max(start, end)

    assert business_time(spec.calendar, start, end) == reference.business_time(start, end)


@given(data=st.data(), spec=specs())
@PROPERTY_SETTINGS
def test_add_business_time_is_the_first_moment_the_working_minutes_reach_the_amount(data, spec):
    reference = Reference(spec)
    start = data.draw(moments(spec, within_days=5))
    available = reference.available(start)
    minutes = data.draw(st.integers(0, min(available, 3 * 24 * 60)))

    due = add_business_time(spec.calendar, start, minutes * MINUTE)

    assert due == reference.add(start, minutes)
    assert business_time(spec.calendar, start, due) == minutes * MINUTE


@given(data=st.data(), spec=specs())
@PROPERTY_SETTINGS
def test_a_clock_is_due_when_its_working_minutes_outside_pauses_reach_the_target(data, spec):
    reference = Reference(spec)
    calendar = spec.calendar
    start = data.draw(moments(spec, within_days=3))
    available = reference.available(start)
    assume(available > 0)
    target_minutes = data.draw(st.integers(1, max(1, min(available // 2, 2 * 24 * 60))))
    # Hold/resume pairs, in order, after the start (some after the due time).
    marks = sorted(
        data.draw(
            st.lists(st.integers(reference.index(start), len(reference.working) // 2), max_size=6)
        )
    )
    pauses = [
        (marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2) if marks[i] < marks[i + 1]
    ]

    clocks = TicketClocks(
        clocks=[], ticket_id=1, first_response_done=True, calendar_for=lambda _id: calendar
    )
    target = Target(duration=target_minutes * MINUTE, priority=3, calendar_id=1, calendar=calendar)

    def target_for(metric: str) -> Target:
        return target

    clocks.apply(Signal.CREATED, at=start, target_for=target_for)
    for begin, end in pauses:
        clocks.apply(Signal.HOLD, at=reference.start + begin * MINUTE, target_for=target_for)
        clocks.apply(Signal.RESUME, at=reference.start + end * MINUTE, target_for=target_for)
    clock = clocks.open_clock(Metric.RESOLUTION)
    assert clock is not None

    expected = {
        share: reference.add(start, target_minutes * share // 100, pauses)
        for share in (75, 90, 100)
    }
    assume(expected[100] is not None)  # the window holds the due time
    # The 75 % and 90 % shares of a whole number of minutes may end inside a minute.
    for share, attribute in ((75, "at_risk_at"), (90, "warning_at")):
        if target_minutes * share % 100 == 0:
            assert getattr(clock, attribute) == expected[share], attribute
    assert clock.due_at == expected[100]
