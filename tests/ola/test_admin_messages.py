"""The OLA target admin form, refused by the model's constraint, says what to fix in the user's
language; it said “Constraint “ola_target_positive” is violated.”."""

from datetime import timedelta

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


def test_an_ola_target_saved_meanwhile_for_the_same_tier_and_priority_is_a_form_error(
    manager_admin_client, monkeypatch
):
    """A colleague's target for the same tier and priority saved between the form's checks and
    this save: the service refused it (the unique constraint) from save_model, a 500."""
    from ola import services

    OlaTarget.objects.create(tier=1, priority=Priority.P2, take_within=timedelta(minutes=30))
    # The form's and the service's checks both ran before the colleague's row was there.
    monkeypatch.setattr(OlaTarget, "validate_constraints", lambda self, exclude=None: None)
    checks = []
    real = services._target_clashes

    def misses_the_colleague_once(**kwargs):
        checks.append(kwargs)
        return real(**kwargs) if len(checks) > 1 else False

    monkeypatch.setattr(services, "_target_clashes", misses_the_colleague_once)

    answer = manager_admin_client.post(
        "/admin/ola/olatarget/add/",
        {"tier": "1", "priority": str(Priority.P2), "take_within": "00:15:00"},
    )

    assert answer.status_code == 200
    assert "There is already an OLA target for this tier and priority." in _page(answer)
    assert 'class="errorlist' in _page(answer)
    target = OlaTarget.objects.get()
    assert target.take_within == timedelta(minutes=30)  # the colleague's, untouched
