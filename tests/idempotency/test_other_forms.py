"""Issue 16, item 2: the other ticket-page forms with side effects (calls with invitations,
major-incident updates emailed to everyone affected) write once per render too."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.models import ScheduledCall
from incidents.models import StatusUpdate
from tests.incidents.conftest import incident, p1_ticket  # noqa: F401 (fixtures)
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _twice(client: Client, url: str, data: dict) -> list[int]:
    return [client.post(url, {**data, "idempotency_key": "same-render"}).status_code for _ in "ab"]


def test_a_call_scheduled_twice_from_one_render_is_one_call(make_ticket, agent_l2):
    ticket = make_ticket(Status.ESCALATED)
    client = Client()
    client.force_login(agent_l2)
    client.post(f"/tickets/{ticket.pk}/do/take/", {})
    start = timezone.localtime() + timedelta(days=1)

    codes = _twice(
        client,
        f"/escalation/tickets/{ticket.pk}/calls/",
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 30,
            "medium": "phone",
            "link_or_number": "+34 600 000 000",
        },
    )

    assert codes == [302, 302]
    assert ScheduledCall.objects.filter(ticket=ticket).count() == 1


def test_an_incident_update_sent_twice_from_one_render_is_posted_once(incident, agent_l1):  # noqa: F811
    client = Client()
    client.force_login(agent_l1)
    before = StatusUpdate.objects.filter(major_incident=incident).count()

    codes = _twice(
        client,
        reverse("major_incident_update", args=[incident.pk]),
        {
            "status": "identified",
            "message": "Found it.",
            "next_update_due_at": (timezone.localtime() + timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )

    assert codes == [302, 302]
    assert StatusUpdate.objects.filter(major_incident=incident).count() == before + 1
