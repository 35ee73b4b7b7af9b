"""A priority's response targets are never longer than its resolution target: first response
2 h with resolution 1 h was saved, in the API and in the admin, promising an answer after the
promised fix. Equal targets are fine; the refusal names the priority, in the user's language."""

import pytest

from sla.models import SlaPolicy
from tickets.models_choices import Priority

pytestmark = pytest.mark.django_db


def _policy(**target: str) -> dict[str, object]:
    return {"name": "Inverted", "position": 10, "targets": [{"priority": 2, **target}]}


def test_a_first_response_longer_than_the_resolution_is_a_400_naming_the_priority(api, manager):
    body = _policy(first_response="02:00:00", resolution="01:00:00")

    response = api(manager).post("/api/sla/policies/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["targets"] == [
        "P2 high: the first response target cannot be longer than the resolution target."
    ]
    assert not SlaPolicy.objects.filter(name="Inverted").exists()


def test_a_next_response_longer_than_the_resolution_is_a_400(api, manager):
    body = _policy(first_response="00:30:00", next_response="05:00:00", resolution="04:00:00")

    response = api(manager).post("/api/sla/policies/", body, format="json")

    assert response.status_code == 400
    assert "next response target cannot be longer" in response.json()["errors"]["targets"][0]


def test_equal_response_and_resolution_targets_are_accepted(api, manager):
    body = _policy(first_response="01:00:00", next_response="01:00:00", resolution="01:00:00")

    assert api(manager).post("/api/sla/policies/", body, format="json").status_code == 201


def test_the_refusal_is_in_spanish_for_a_spanish_request(api, manager):
    body = _policy(first_response="02:00:00", resolution="01:00:00")

    response = api(manager).post(
        "/api/sla/policies/", body, format="json", HTTP_ACCEPT_LANGUAGE="es"
    )

    message = response.json()["errors"]["targets"][0]
    assert message.startswith("P2 alta:"), message
    assert "primera respuesta" in message


def _admin_form(first_response: str, resolution: str) -> dict[str, str]:
    return {
        "name": "Inverted",
        "position": "50",
        "is_active": "on",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": str(Priority.P1),
        "targets-0-first_response": first_response,
        "targets-0-resolution": resolution,
    }


def test_the_admin_refuses_a_first_response_longer_than_the_resolution(manager_admin_client):
    answer = manager_admin_client.post(
        "/admin/sla/slapolicy/add/", _admin_form("02:00:00", "01:00:00")
    )

    page = answer.content.decode()
    assert answer.status_code == 200
    assert (
        "P1 critical: the first response target cannot be longer than the resolution target."
        in page
    )
    assert not SlaPolicy.objects.filter(name="Inverted").exists()
    # Above the table, not in a cell a phone's narrow table scrolls out of sight.
    assert 'class="errorlist nonform"' in page
    assert 'value="02:00:00"' in page  # what was typed is kept


def test_the_admin_accepts_equal_targets(manager_admin_client):
    answer = manager_admin_client.post(
        "/admin/sla/slapolicy/add/", _admin_form("01:00:00", "01:00:00")
    )

    assert answer.status_code == 302
    assert SlaPolicy.objects.get(name="Inverted").targets.get().resolution.total_seconds() == 3600
