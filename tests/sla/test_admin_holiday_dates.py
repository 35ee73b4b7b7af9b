"""A calendar's holidays are dates a clock can run on: 0001-01-01 and 9999-12-31 were saved in
the admin. They are refused with the range every date input of the project takes."""

from datetime import date, time

import pytest

from sla.models import Calendar, CalendarHours

pytestmark = pytest.mark.django_db


@pytest.fixture
def office() -> Calendar:
    calendar = Calendar.objects.create(name="Office", time_zone="Europe/Madrid")
    CalendarHours.objects.create(calendar=calendar, weekday=0, opens=time(9), closes=time(17))
    return calendar


def _form(calendar: Calendar, holiday: str) -> dict[str, str]:
    hours = calendar.hours.get()
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "1",
        "hours-0-id": str(hours.pk),
        "hours-0-calendar": str(calendar.pk),
        "hours-0-weekday": "0",
        "hours-0-opens": "09:00",
        "hours-0-closes": "17:00",
        "holidays-TOTAL_FORMS": "1",
        "holidays-INITIAL_FORMS": "0",
        "holidays-0-calendar": str(calendar.pk),
        "holidays-0-date": holiday,
        "holidays-0-name": "Typo day",
    }


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"])
def test_a_holiday_outside_the_range_is_refused(manager_admin_client, office, typed):
    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _form(office, typed)
    )

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Enter a date between 2000-01-01 and 2099-12-31." in page
    assert f'value="{typed}"' in page  # what was typed stays in the form
    assert not office.holidays.exists()


def test_a_holiday_inside_the_range_is_saved(manager_admin_client, office):
    answer = manager_admin_client.post(
        f"/admin/sla/calendar/{office.pk}/change/", _form(office, "2026-12-25")
    )

    assert answer.status_code == 302
    assert list(office.holidays.values_list("date", flat=True)) == [date(2026, 12, 25)]
