"""The admin keeps calendars and policies able to give every ticket its due times: a calendar
left without opening hours, or too sparse for a target kept on it, failed every ticket the
policy took (a 500 on each create)."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from helpdesk.errors import DomainError
from ola.models import OlaTarget
from sla.models import Calendar, CalendarHours, SlaPolicy, SlaTarget
from sla.services import calendar_hours_check
from tickets.models_choices import Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def office() -> Calendar:
    calendar = Calendar.objects.create(name="Office", time_zone="Europe/Madrid")
    for weekday in range(5):
        CalendarHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)
        )
    return calendar


def _calendar_form(calendar: Calendar, hours: list[tuple[int, str, str, bool]]) -> dict:
    """The change form: (weekday, opens, closes, delete) per existing row, in order."""
    rows = list(calendar.hours.order_by("pk")) if calendar.pk else []
    form = {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "hours-TOTAL_FORMS": str(len(hours)),
        "hours-INITIAL_FORMS": str(len(rows)),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, opens, closes, delete) in enumerate(hours):
        if i < len(rows):
            form[f"hours-{i}-id"] = str(rows[i].pk)
        form[f"hours-{i}-calendar"] = str(calendar.pk)
        form[f"hours-{i}-weekday"] = str(weekday)
        form[f"hours-{i}-opens"] = opens
        form[f"hours-{i}-closes"] = closes
        if delete:
            form[f"hours-{i}-DELETE"] = "on"
    return form


def _page(answer) -> str:
    return answer.content.decode()


def test_removing_every_opening_interval_is_refused(manager_admin_client, office):
    everything_deleted = [(d, "09:00", "17:00", True) for d in range(5)]

    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, everything_deleted)
    )

    assert answer.status_code == 200
    assert "A calendar needs at least one opening interval." in _page(answer)
    assert office.hours.count() == 5


def test_a_new_calendar_without_hours_is_refused(manager_admin_client):
    form = _calendar_form(Calendar(name="Empty", time_zone="UTC"), [])

    answer = manager_admin_client.post("/admin/sla/calendar/add/", form)

    assert answer.status_code == 200
    assert "A calendar needs at least one opening interval." in _page(answer)
    assert not Calendar.objects.filter(name="Empty").exists()


def test_hours_too_sparse_for_a_policy_or_ola_target_kept_on_the_calendar_are_refused(
    manager_admin_client, office
):
    policy = SlaPolicy.objects.create(name="Office hours", position=0, calendar=office)
    SlaTarget.objects.create(
        policy=policy,
        priority=Priority.P3,
        first_response=timedelta(hours=4),
        resolution=timedelta(days=30),
    )
    one_hour_a_week = [(0, "09:00", "10:00", False)] + [
        (d, "09:00", "17:00", True) for d in range(1, 5)
    ]

    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, one_hour_a_week)
    )

    assert answer.status_code == 200
    assert "is not reached within three years" in _page(answer)
    assert office.hours.count() == 5

    policy.targets.update(resolution=timedelta(days=2))
    OlaTarget.objects.create(
        tier=1, priority=Priority.P3, take_within=timedelta(days=60), calendar=office
    )
    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, one_hour_a_week)
    )
    assert "is not reached within three years" in _page(answer)  # the OLA target's 60 days

    OlaTarget.objects.all().delete()
    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, one_hour_a_week)
    )
    assert answer.status_code == 302  # 2 days of business time in 2 years of Mondays: fine
    assert office.hours.count() == 1


def test_a_policy_moved_onto_a_calendar_too_sparse_for_its_targets_is_refused(
    manager_admin_client, office
):
    sparse = Calendar.objects.create(name="Mondays 9-10", time_zone="UTC")
    CalendarHours.objects.create(calendar=sparse, weekday=0, opens=time(9), closes=time(10))
    form = {
        "name": "Sparse",
        "position": "0",
        "is_active": "on",
        "kind": "",
        "calendar": str(sparse.pk),
        "escalate_on_breach": "on",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-priority": "3",
        "targets-0-first_response": "04:00:00",
        "targets-0-resolution": "30 00:00:00",
    }

    answer = manager_admin_client.post("/admin/sla/slapolicy/add/", form)

    assert answer.status_code == 200
    assert "is not reached within three years" in _page(answer)
    assert not SlaPolicy.objects.filter(name="Sparse").exists()
    form["calendar"] = str(office.pk)
    assert manager_admin_client.post("/admin/sla/slapolicy/add/", form).status_code == 302


# --- holidays (they can make a target unreachable as surely as fewer opening hours) -----------

MONDAY_MORNING = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.fixture
def mondays(manager_admin_client) -> Calendar:
    """Open one hour a week, with a policy whose 150-hour resolution takes 150 Mondays: about
    1050 days, just inside the three years a due time is looked for."""
    calendar = Calendar.objects.create(name="Mondays 9-10", time_zone="UTC")
    CalendarHours.objects.create(calendar=calendar, weekday=0, opens=time(9), closes=time(10))
    policy = SlaPolicy.objects.create(name="Weekly", position=0, calendar=calendar)
    SlaTarget.objects.create(
        policy=policy,
        priority=Priority.P3,
        first_response=timedelta(hours=1),
        resolution=timedelta(hours=150),
    )
    return calendar


def _with_holidays(form: dict, calendar: Calendar, days: list[date]) -> dict:
    form = {**form, "holidays-TOTAL_FORMS": str(len(days))}
    for i, day in enumerate(days):
        form[f"holidays-{i}-calendar"] = str(calendar.pk)
        form[f"holidays-{i}-date"] = day.isoformat()
        form[f"holidays-{i}-name"] = f"Closed {i}"
    return form


def _next_mondays(count: int) -> list[date]:
    return [date(2026, 1, 12) + timedelta(weeks=n) for n in range(count)]


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_holidays_that_leave_a_target_unreachable_are_refused_naming_it(
    manager_admin_client, mondays
):
    # Ten Monday holidays push the 150th opening hour past three years: every ticket the
    # policy took then failed, and the admin saved the holidays without a word.
    keep_hours = [(0, "09:00", "10:00", False)]
    form = _with_holidays(_calendar_form(mondays, keep_hours), mondays, _next_mondays(10))

    answer = manager_admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", form)

    assert answer.status_code == 200
    page = _page(answer)
    assert "the target resolution of P3 medium in the SLA policy “Weekly” is not reached" in page
    assert 'value="2026-03-16"' in page and 'value="Closed 9"' in page  # what was typed, kept
    assert not mondays.holidays.exists()

    form = _with_holidays(_calendar_form(mondays, keep_hours), mondays, _next_mondays(5))
    assert (
        manager_admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", form).status_code
        == 302
    )
    assert mondays.holidays.count() == 5


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_holidays_are_checked_with_the_hours_sent_beside_them(manager_admin_client, mondays):
    # Stored: Mondays and Tuesdays 9-10, an OLA target of 150 hours (75 weeks). Sent: Tuesdays
    # removed (150 weeks, fine without holidays) and ten Monday holidays (fine on the stored
    # hours). Together they are not: the holidays are checked with the hours being saved.
    CalendarHours.objects.create(calendar=mondays, weekday=1, opens=time(9), closes=time(10))
    SlaTarget.objects.all().delete()
    OlaTarget.objects.create(
        tier=1, priority=Priority.P3, take_within=timedelta(hours=150), calendar=mondays
    )
    hours = [(0, "09:00", "10:00", False), (1, "09:00", "10:00", True)]
    form = _with_holidays(_calendar_form(mondays, hours), mondays, _next_mondays(10))

    answer = manager_admin_client.post(f"/admin/sla/calendar/{mondays.pk}/change/", form)

    assert answer.status_code == 200
    assert "the target OLA “take within” of P3 medium for L1 service desk is not" in _page(answer)
    assert (mondays.hours.count(), mondays.holidays.count()) == (2, 0)


def test_a_policy_on_a_calendar_without_opening_hours_is_refused(manager_admin_client):
    # No opening hours reach no target (a calendar saved before the admin required hours).
    closed = Calendar.objects.create(name="Closed", time_zone="UTC")
    form = {
        "name": "Never",
        "position": "0",
        "is_active": "on",
        "kind": "",
        "calendar": str(closed.pk),
        "escalate_on_breach": "on",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-priority": "3",
        "targets-0-first_response": "04:00:00",
        "targets-0-resolution": "1 00:00:00",
    }

    answer = manager_admin_client.post("/admin/sla/slapolicy/add/", form)

    assert answer.status_code == 200
    assert _page(answer).count("is not reached within three years") == 2  # each target
    assert not SlaPolicy.objects.filter(name="Never").exists()


# --- overlapping intervals: refused naming the weekday, typed rows kept ---------------------
# They were saved, and the arithmetic silently merged them into hours the page did not show.

OVERLAPPING_TUESDAY = [
    (0, "09:00", "17:00", False),
    (1, "09:00", "13:00", False),
    (2, "09:00", "17:00", False),
    (3, "09:00", "17:00", False),
    (4, "09:00", "17:00", False),
    (1, "12:30", "18:00", False),  # a new row: overlaps Tuesday's morning
]


def test_overlapping_intervals_on_one_weekday_are_refused_naming_it(manager_admin_client, office):
    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, OVERLAPPING_TUESDAY)
    )

    assert answer.status_code == 200  # the admin's form again, not saved
    page = _page(answer)
    assert "Two opening intervals overlap on Tuesday: 09:00–13:00 and 12:30–18:00." in page
    assert 'value="12:30"' in page and 'value="18:00"' in page  # typed rows kept
    assert set(office.hours.values_list("opens", "closes")) == {(time(9), time(17))}
    assert office.hours.count() == 5


def test_the_overlap_is_named_in_spanish(manager_admin_client, office, manager):
    manager.language = "es"
    manager.save(update_fields=["language"])

    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, OVERLAPPING_TUESDAY)
    )

    page = _page(answer)
    assert "Dos intervalos de apertura se solapan (Martes): 09:00–13:00 y 12:30–18:00." in page


def test_back_to_back_intervals_and_other_weekdays_are_fine(manager_admin_client, office):
    split_days = [
        (0, "09:00", "13:00", False),
        (1, "09:00", "17:00", False),
        (2, "09:00", "17:00", False),
        (3, "09:00", "17:00", False),
        (4, "09:00", "17:00", False),
        (0, "13:00", "17:00", False),  # Monday, back to back
        (5, "09:00", "13:00", False),  # Saturday, same hours as Monday's morning
    ]

    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _calendar_form(office, split_days)
    )

    assert answer.status_code == 302
    assert office.hours.count() == 7


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((time(9), time(17)), (time(9), time(17))),  # the same row twice
        ((time(9), time(0)), (time(20), time(22))),  # 09:00 to midnight holds 20:00–22:00
        ((time(10), time(12)), (time(8), time(11))),  # typed in any order
    ],
)
def test_the_service_refuses_overlaps(first, second):
    calendar = Calendar(name="Office", time_zone="UTC")
    with pytest.raises(DomainError) as refused:
        calendar_hours_check(calendar=calendar, weekly={4: [first, second]}, holidays=set())
    assert "overlap on Friday" in refused.value.message
    assert refused.value.field == "hours"
