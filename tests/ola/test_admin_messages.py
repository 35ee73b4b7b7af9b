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
    # The form's and the service's checks (and Django's unique check) all ran before the
    # colleague's row was there.
    monkeypatch.setattr(OlaTarget, "validate_constraints", lambda self, exclude=None: None)
    checks = []
    real = services.ola_target_taken_error

    def misses_the_colleague_twice(**kwargs):
        checks.append(kwargs)
        return real(**kwargs) if len(checks) > 2 else None

    monkeypatch.setattr(services, "ola_target_taken_error", misses_the_colleague_twice)

    answer = manager_admin_client.post(
        "/admin/ola/olatarget/add/",
        {"tier": "1", "priority": str(Priority.P2), "take_within": "00:15:00"},
    )

    assert answer.status_code == 200
    assert "There is already an OLA target for this tier and priority." in _page(answer)
    assert 'class="errorlist' in _page(answer)
    target = OlaTarget.objects.get()
    assert target.take_within == timedelta(minutes=30)  # the colleague's, untouched
    # 1 the form, 2 the service, 3 after the unique constraint refused the insert; then the
    # page drawn again (4, the form: the refusal is shown once).
    assert len(checks) == 4
    assert _page(answer).count("There is already an OLA target for this tier and priority.") == 1


TAKEN = {
    "en": "There is already an OLA target for this tier and priority.",
    "es": "Ya hay un objetivo de OLA para este nivel y esta prioridad.",
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_ola_target_for_a_tier_and_priority_already_set_says_what_a_raced_one_says(
    manager_admin_client, manager, language
):
    """The ordinary clash was Django's unique check ("OLA target with this Tier and Priority
    already exists.", above the form) and the raced one the service's refusal (on the
    priority): two wordings for one mistake. Both are the service's, on the priority."""
    manager.language = language
    manager.save(update_fields=["language"])
    OlaTarget.objects.create(tier=1, priority=Priority.P2, take_within=timedelta(minutes=30))

    with translation.override(language):
        answer = manager_admin_client.post(
            "/admin/ola/olatarget/add/",
            {"tier": "1", "priority": str(Priority.P2), "take_within": "00:15:00"},
            HTTP_ACCEPT_LANGUAGE=language,
        )

    assert answer.status_code == 200
    page = _page(answer)
    assert page.count(TAKEN[language]) == 1
    assert "already exists" not in page and "ya existe" not in page
    assert 'id="id_priority_error"' in page or "field-priority errors" in page
    assert OlaTarget.objects.get().take_within == timedelta(minutes=30)
