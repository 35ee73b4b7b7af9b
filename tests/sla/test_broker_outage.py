"""Redis down: tickets are still created and answered, clocks run, and the sweep catches up."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from notifications.models import DeliveryStatus, Notification
from sla.models import SlaEvent, SlaEventKind
from sla.sweep import sla_sweep
from tests.sla.conftest import at, clocks_of

pytestmark = pytest.mark.django_db


def test_with_the_broker_down_requests_succeed_and_the_sweep_catches_up_later(
    clock, api, requester, agent_l1, django_capture_on_commit_callbacks
):
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("notifications.tasks.deliver_notification.delay", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = api(requester).post(
            "/api/tickets/", {"title": "Mail down", "description": "No mail"}
        )
        assert created.status_code == 201
        ticket_id = created.json()["id"]
        clock.to(at(9, 5))
        reply = api(requester).post(f"/api/tickets/{ticket_id}/comments/", {"body": "Urgent!"})
        assert reply.status_code == 201

    clocks = clocks_of(ticket_id)
    assert {metric for metric, _ in clocks} == {"first_response", "resolution"}
    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}

    clock.to(at(15))  # the outage lasted the whole first-response target (P4: 3 h)
    sla_sweep()
    assert list(SlaEvent.objects.values_list("metric", "kind")) == [
        ("first_response", SlaEventKind.BREACH)
    ]
