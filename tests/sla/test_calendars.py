"""Calendar arithmetic: pure functions, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla.calendars import ALWAYS_OPEN, add_business_time, business_hours, business_time

MADRID = ZoneInfo("Europe/Madrid")
NINE_TO_FIVE = [(time(9), time(17))]
OFFICE = business_hours(
    time_zone="Europe/Madrid",
    weekly={day: NINE_TO_FIVE for day in range(5)},  # Monday to Friday
    holidays={date(2025, 1, 6)},  # Epiphany, a Monday
)


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


def test_24x7_adds_wall_time():
    start = datetime(2025, 3, 29, 22, 0, tzinfo=UTC)
    assert add_business_time(ALWAYS_OPEN, start, timedelta(hours=8)) == start + timedelta(hours=8)
    assert business_time(ALWAYS_OPEN, start, start + timedelta(hours=3)) == timedelta(hours=3)


def test_within_one_day():
    assert add_business_time(OFFICE, madrid(2025, 1, 8, 10), timedelta(hours=4)) == madrid(
        2025, 1, 8, 14
    )


def test_started_before_opening_counts_from_opening():
    assert add_business_time(OFFICE, madrid(2025, 1, 8, 7), timedelta(hours=1)) == madrid(
        2025, 1, 8, 10
    )


def test_started_after_closing_counts_from_the_next_morning():
    assert add_business_time(OFFICE, madrid(2025, 1, 8, 20), timedelta(hours=2)) == madrid(
        2025, 1, 9, 11
    )


def test_friday_afternoon_runs_over_the_weekend_to_monday():
    # Friday 15:00 + 4 h: 2 h on Friday, 2 h on Monday.
    assert add_business_time(OFFICE, madrid(2025, 1, 10, 15), timedelta(hours=4)) == madrid(
        2025, 1, 13, 11
    )


def test_a_holiday_is_skipped():
    # Friday 3 January 16:00 + 2 h: 1 h Friday, Monday 6th is Epiphany, 1 h on Tuesday.
    assert add_business_time(OFFICE, madrid(2025, 1, 3, 16), timedelta(hours=2)) == madrid(
        2025, 1, 7, 10
    )
    assert business_time(OFFICE, madrid(2025, 1, 3, 16), madrid(2025, 1, 7, 10)) == timedelta(
        hours=2
    )


def test_ending_exactly_at_closing_time_is_closing_time():
    assert add_business_time(OFFICE, madrid(2025, 1, 8, 9), timedelta(hours=8)) == madrid(
        2025, 1, 8, 17
    )


def test_zero_is_the_start_even_outside_hours():
    start = madrid(2025, 1, 11, 12)  # a Saturday
    assert add_business_time(OFFICE, start, timedelta(0)) == start


def test_business_time_over_a_week():
    # Monday 8 h x 5 days minus nothing = 40 h from Monday 00:00 to the next Monday 00:00.
    assert business_time(OFFICE, madrid(2025, 1, 13), madrid(2025, 1, 20)) == timedelta(hours=40)
    assert business_time(OFFICE, madrid(2025, 1, 20), madrid(2025, 1, 13)) == timedelta(0)


def test_business_hours_keep_local_time_across_spring_dst():
    # Madrid moves from +01:00 to +02:00 on Sunday 30 March 2025. Friday 16:00 + 2 h = Monday
    # 10:00 local, which is 08:00 UTC (it was 15:00 UTC on Friday).
    due = add_business_time(OFFICE, madrid(2025, 3, 28, 16), timedelta(hours=2))
    assert due == madrid(2025, 3, 31, 10)
    assert due.astimezone(UTC) == datetime(2025, 3, 31, 8, tzinfo=UTC)


def test_business_hours_keep_local_time_across_autumn_dst():
    due = add_business_time(OFFICE, madrid(2025, 10, 24, 16), timedelta(hours=2))
    assert due.astimezone(UTC) == datetime(2025, 10, 27, 9, tzinfo=UTC)  # 10:00 at +01:00


ROUND_THE_CLOCK_MADRID = business_hours(
    time_zone="Europe/Madrid", weekly={day: [(time(0), time(0))] for day in range(7)}
)


def test_a_local_day_on_which_the_clocks_change_is_23_or_25_hours():
    assert business_time(
        ROUND_THE_CLOCK_MADRID, madrid(2025, 3, 30), madrid(2025, 3, 31)
    ) == timedelta(hours=23)
    assert business_time(
        ROUND_THE_CLOCK_MADRID, madrid(2025, 10, 26), madrid(2025, 10, 27)
    ) == timedelta(hours=25)
    # and adding across it is real elapsed time: Saturday 12:00 CET + 24 h = Sunday 13:00 CEST
    start = madrid(2025, 3, 29, 12)
    assert add_business_time(ROUND_THE_CLOCK_MADRID, start, timedelta(hours=24)) == madrid(
        2025, 3, 30, 13
    )


def test_hours_that_close_inside_the_skipped_hour_end_at_the_change():
    # Madrid skips 02:00–03:00 on Sunday 31 March 2024: 00:00–02:15 is two hours (it once
    # ran to 03:15, reading 02:15 at the old offset). Found by test_calendar_property.
    night = business_hours(time_zone="Europe/Madrid", weekly={6: [(time(0), time(2, 15))]})
    sunday = madrid(2024, 3, 31)
    assert business_time(night, sunday, sunday + timedelta(hours=5)) == timedelta(hours=2)
    assert add_business_time(night, sunday, timedelta(hours=2)) == madrid(2024, 3, 31, 3)
    # 03:00 CEST, the change itself; the next minute of work is a week later
    assert add_business_time(night, sunday, timedelta(hours=2, minutes=1)) == madrid(
        2024, 4, 7, 0, 1
    )


def test_hours_inside_the_repeated_hour_count_twice():
    # Mexico City repeated 01:00–02:00 on Sunday 31 October 2021 (its clocks no longer change
    # since 2022): 01:00–01:15 opened twice, 30 minutes, once at −05:00 and once at −06:00.
    mexico = business_hours(time_zone="America/Mexico_City", weekly={6: [(time(1), time(1, 15))]})
    midnight = datetime(2021, 10, 31, 5, tzinfo=UTC)  # 00:00 CDT
    assert business_time(mexico, midnight, midnight + timedelta(hours=4)) == timedelta(minutes=30)
    assert add_business_time(mexico, midnight, timedelta(minutes=16)) == datetime(
        2021, 10, 31, 7, 1, tzinfo=UTC
    )
    # and a year later, without DST, once
    later = datetime(2023, 10, 29, 6, tzinfo=UTC)  # 00:00 CST, a Sunday
    assert business_time(mexico, later, later + timedelta(hours=4)) == timedelta(minutes=15)


def test_split_shifts_and_the_inverse_relation():
    calendar = business_hours(
        time_zone="Europe/Madrid",
        weekly={day: [(time(14), time(18)), (time(8), time(12))] for day in range(5)},
    )
    start = madrid(2025, 2, 3, 11)
    due = add_business_time(calendar, start, timedelta(hours=3))
    assert due == madrid(2025, 2, 3, 16)
    for hours in range(1, 30):
        amount = timedelta(hours=hours, minutes=17)
        assert business_time(calendar, start, add_business_time(calendar, start, amount)) == amount


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(ValueError):
        business_hours(time_zone="Europe/Madrid", weekly={})
    with pytest.raises(ValueError):
        business_hours(time_zone="Europe/Madrid", weekly={0: [(time(17), time(9))]})
