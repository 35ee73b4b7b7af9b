"""Calendar arithmetic for SLA clocks, as pure functions of aware datetimes.

A calendar is either 24×7 (every second counts) or business hours: opening intervals per
weekday in a time zone, minus holidays. Intervals are built in local time and converted to UTC
before any subtraction, so days on which the clocks change (DST) are 23 or 25 hours long.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Far enough for a 72 h target on an 8-hour calendar with a long holiday season; a calendar
# without any opening hours would otherwise loop forever.
MAX_DAYS = 3 * 366
ZERO = timedelta(0)

# One weekday's opening intervals: (opens, closes); closes == 00:00 means midnight (end of day).
DayHours = tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class WorkingCalendar:
    """When SLA time runs. `weekly[0]` is Monday; the default is 24×7."""

    always_open: bool = True
    time_zone: str = "UTC"
    weekly: tuple[DayHours, ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


ALWAYS_OPEN = WorkingCalendar()


def business_hours(
    *,
    time_zone: str,
    weekly: dict[int, list[tuple[time, time]]],
    holidays: frozenset[date] | set[date] = frozenset(),
) -> WorkingCalendar:
    """Build a business-hours calendar; `weekly` maps weekday (0 = Monday) to intervals."""
    ZoneInfo(time_zone)  # fail early on an unknown zone
    days = tuple(tuple(sorted(weekly.get(day, []))) for day in range(7))
    if not any(days):
        raise ValueError("A business-hours calendar needs at least one opening interval.")
    for intervals in days:
        for opens, closes in intervals:
            if closes != time(0) and closes <= opens:
                raise ValueError(f"An interval must close after it opens: {opens}–{closes}.")
    return WorkingCalendar(
        always_open=False, time_zone=time_zone, weekly=days, holidays=frozenset(holidays)
    )


def open_intervals(calendar: WorkingCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC intervals during which `day` (a local date) is open, in order, merged."""
    if calendar.always_open:
        zone = calendar.zone
        return [_span(day, time(0), day + timedelta(days=1), time(0), zone)]
    if day in calendar.holidays:
        return []
    zone = calendar.zone
    intervals: list[tuple[datetime, datetime]] = []
    for opens, closes in calendar.weekly[day.weekday()]:
        end_day = day + timedelta(days=1) if closes == time(0) else day
        start, end = _span(day, opens, end_day, closes, zone)
        if end <= start:
            continue  # e.g. an interval swallowed by a DST gap
        if intervals and start <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(end, intervals[-1][1]))
        else:
            intervals.append((start, end))
    return intervals


def _span(
    first_day: date, opens: time, last_day: date, closes: time, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    start = datetime.combine(first_day, opens, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last_day, closes, tzinfo=zone).astimezone(UTC)
    return start, end


def add_business_time(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    """The moment at which the business time elapsed since `start` reaches `amount`."""
    if amount <= ZERO:
        return start
    if calendar.always_open:
        return start + amount
    start = start.astimezone(UTC)
    remaining = amount
    day = start.astimezone(calendar.zone).date()
    for _ in range(MAX_DAYS):
        for opens, closes in open_intervals(calendar, day):
            if closes <= start:
                continue
            opens = max(opens, start)
            span = closes - opens
            if remaining <= span:
                return opens + remaining
            remaining -= span
        day += timedelta(days=1)
    raise ValueError("The calendar has no opening hours within three years.")


def business_time(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time between two moments (zero if `end` is not after `start`)."""
    if end <= start:
        return ZERO
    if calendar.always_open:
        return end - start
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = ZERO
    day = start.astimezone(calendar.zone).date()
    last = end.astimezone(calendar.zone).date()
    while day <= last:
        for opens, closes in open_intervals(calendar, day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > ZERO:
                total += overlap
        day += timedelta(days=1)
    return total
