"""The OLA target admin form, refused by the model's constraint, says what to fix in the user's
language; it said “Constraint “ola_target_positive” is violated.”."""

import pytest
from django.utils import translation

from ola.models import OlaTarget
from tickets.models_choices import Priority

pytestmark = pytest.mark.django_db


def _page(answer) -> str:
    return answer.content.decode()


def test_an_ola_target_without_any_time_says_what_to_give(manager_admin_client):
    answer = manager_admin_client.post(
        "/admin/ola/olatarget/add/",
        {"tier": "1", "priority": str(Priority.P1), "take_within": "", "handoff_within": ""},
    )

    assert answer.status_code == 200
    assert "Give a time to take, a time to hand off, or both" in _page(answer)
    assert "ola_target_positive" not in _page(answer)
    assert not OlaTarget.objects.filter(tier=1, priority=Priority.P1).exists()


def test_an_ola_target_of_zero_says_what_to_give_in_spanish(manager_admin_client, manager):
    manager.language = "es"
    manager.save()
    with translation.override("es"):
        answer = manager_admin_client.post(
            "/admin/ola/olatarget/add/",
            {"tier": "1", "priority": str(Priority.P1), "take_within": "0", "handoff_within": ""},
            HTTP_ACCEPT_LANGUAGE="es",
        )

    assert answer.status_code == 200
    # The shared target check (sla.models.target_error) answers on the field, in Spanish.
    assert "Los objetivos deben ser mayores que cero." in _page(answer)
    assert "ola_target_positive" not in _page(answer)
    assert not OlaTarget.objects.filter(tier=1, priority=Priority.P1).exists()


def test_an_ola_target_of_half_a_second_is_a_form_error(manager_admin_client):
    answer = manager_admin_client.post(
        "/admin/ola/olatarget/add/",
        {"tier": "1", "priority": str(Priority.P1), "take_within": "0.5", "handoff_within": ""},
    )

    assert answer.status_code == 200
    assert "Targets are counted in whole seconds" in _page(answer)
    assert not OlaTarget.objects.exists()
