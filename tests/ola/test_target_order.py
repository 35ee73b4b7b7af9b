"""An OLA target whose take time is longer than its hand-off time is refused: both clocks start
when the ticket enters the tier, so it asked for the ticket to be handed on before anyone need
take it (the SLA targets got the same check for response against resolution)."""

import pytest

from ola.models import OlaTarget
from tickets.models_choices import Priority

pytestmark = pytest.mark.django_db

URL = "/api/ola/targets/"
MESSAGE = "The take time cannot be longer than the hand-off time."


def test_the_api_refuses_a_take_time_longer_than_the_hand_off_time(api, manager):
    client = api(manager)

    refused = client.post(
        URL,
        {"tier": 1, "priority": 1, "take_within": "02:00:00", "handoff_within": "01:00:00"},
        format="json",
    )

    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"]["handoff_within"] == [MESSAGE]
    assert not OlaTarget.objects.exists()
    equal = {"tier": 1, "priority": 1, "take_within": "01:00:00", "handoff_within": "01:00:00"}
    created = client.post(URL, equal, format="json")
    assert created.status_code == 201, created.content
    # A change that makes the take time the longer one is refused too, and changes nothing.
    pk = created.json()["id"]
    patched = client.patch(f"{URL}{pk}/", {"take_within": "03:00:00"}, format="json")
    assert patched.status_code == 400, patched.content
    assert str(OlaTarget.objects.get().take_within) == "1:00:00"


def test_the_admin_refuses_it_on_the_hand_off_field_in_the_users_language(
    manager_admin_client, manager
):
    manager.language = "es"
    manager.save()

    answer = manager_admin_client.post(
        "/admin/ola/olatarget/add/",
        {
            "tier": "1",
            "priority": str(Priority.P1),
            "take_within": "02:00:00",
            "handoff_within": "01:00:00",
        },
        HTTP_ACCEPT_LANGUAGE="es",
    )

    assert answer.status_code == 200
    errors = answer.context["adminform"].form.errors
    assert errors["handoff_within"] == [
        "El tiempo para asumir no puede ser mayor que el tiempo para derivar."
    ]
    assert not OlaTarget.objects.exists()
