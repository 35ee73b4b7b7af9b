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
    """The UTC intervals during which `day` (a local date) is open, in order, merged.

    An instant is open if its local date is `day` and its local time is inside one of the
    day's intervals. Each interval is placed on every stretch of the day that has one UTC
    offset, with that offset: on a DST change a skipped hour holds no time and a repeated hour
    counts twice, even when an interval opens or closes inside it.
    """
    zone = calendar.zone
    if calendar.always_open:
        return [(_local_midnight(day, zone), _local_midnight(day + timedelta(days=1), zone))]
    if day in calendar.holidays:
        return []
    stretches = _offset_stretches(day, zone)
    pieces: list[tuple[datetime, datetime]] = []
    for opens, closes in calendar.weekly[day.weekday()]:
        local_open = datetime.combine(day, opens)
        local_close = datetime.combine(
            day + timedelta(days=1) if closes == time(0) else day, closes
        )
        for stretch_start, stretch_end, offset in stretches:
            start = max(stretch_start, (local_open - offset).replace(tzinfo=UTC))
            end = min(stretch_end, (local_close - offset).replace(tzinfo=UTC))
            if start < end:
                pieces.append((start, end))
    intervals: list[tuple[datetime, datetime]] = []
    for start, end in sorted(pieces):
        if intervals and start <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(end, intervals[-1][1]))
        else:
            intervals.append((start, end))
    return intervals


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of a local date. If midnight is skipped, fold 0 maps it to the
    change itself, which is the first instant of the day."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # noqa: S101 (a ZoneInfo always has one)
    return offset


def _offset_stretches(day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """The local day as UTC stretches [start, end) of one UTC offset each: one stretch on all
    but the days the clocks change."""
    start = _local_midnight(day, zone)
    end = _local_midnight(day + timedelta(days=1), zone)
    stretches = []
    while start < end:
        offset = _offset(start, zone)
        change = _next_offset_change(start, end, offset, zone)
        stretches.append((start, change, offset))
        start = change
    return stretches


def _next_offset_change(
    start: datetime, end: datetime, offset: timedelta, zone: ZoneInfo
) -> datetime:
    """The first instant in (start, end) whose offset is not `offset`; `end` if there is none."""
    last = end - timedelta(microseconds=1)
    if end - start == timedelta(days=1) and _offset(last, zone) == offset:
        return end  # an ordinary day (a change and its reversal on one day do not exist)
    # Find an instant with another offset (zones change on the hour, or the half or quarter
    # hour), then narrow down to the microsecond between it and the last one with `offset`.
    same, probe = start, start
    while True:
        probe = min(probe + timedelta(minutes=15), last)
        if _offset(probe, zone) != offset:
            break
        if probe == last:
            return end
        same = probe
    while probe - same > timedelta(microseconds=1):
        middle = same + (probe - same) / 2
        if _offset(middle, zone) == offset:
            same = middle
        else:
            probe = middle
    return probe


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
