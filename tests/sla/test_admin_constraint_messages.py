"""An admin form refused by a model constraint says what to fix, in the user's language: it
said “Constraint “sla_target_positive” is violated.” (the database name of the rule)."""

import pytest

from sla.models import Calendar, SlaPolicy
from tickets.models_choices import Priority

pytestmark = pytest.mark.django_db


def _page(answer) -> str:
    return answer.content.decode()


def test_opening_hours_closing_before_opening_say_so(manager_admin_client):
    form = {
        "name": "Night desk",
        "time_zone": "UTC",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-opens": "18:00",
        "hours-0-closes": "09:00",
        "holidays-TOTAL_FORMS": "0",
        "holidays-INITIAL_FORMS": "0",
    }

    answer = manager_admin_client.post("/admin/sla/calendar/add/", form)

    assert answer.status_code == 200
    assert "The closing time must be after the opening time" in _page(answer)
    assert not Calendar.objects.filter(name="Night desk").exists()
    assert 'value="18:00' in _page(answer)


def test_a_policy_target_of_zero_says_what_to_give(manager_admin_client):
    form = {
        "name": "Zero",
        "position": "50",
        "is_active": "on",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": str(Priority.P1),
        "targets-0-first_response": "0",
        "targets-0-resolution": "04:00:00",
    }

    answer = manager_admin_client.post("/admin/sla/slapolicy/add/", form)

    assert answer.status_code == 200
    assert "The first response and resolution targets must be longer than zero." in _page(answer)
    assert "sla_target_positive" not in _page(answer)
    assert not SlaPolicy.objects.filter(name="Zero").exists()
