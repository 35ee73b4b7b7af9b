"""A major incident's public title on a phone: agents type it, so it may be one long word (a
host name, a URL). On the requesters' start page it pushed the page 1,800 px sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from tests.e2e.test_layout import PHONE, open_page, sideways
from tickets import services as ticket_services
from tickets.models import Level, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_long_unbroken_incident_title_wraps_on_a_phone(
    browser, live_server, make_ticket, agent_l1, requester
):
    ticket = ticket_services.ticket_update(
        ticket=make_ticket(Status.IN_DIAGNOSIS),
        actor=agent_l1,
        impact=Level.HIGH,
        urgency=Level.HIGH,
        reason="Outage",
    )
    incident = services.major_incident_declare(
        ticket=ticket,
        actor=agent_l1,
        public_title=("mail_relay_eu_west_1.internal.example.org_queue_full_" * 4)[:200],
        message="Investigating.",
        next_update_due_at=timezone.now() + timedelta(hours=1),
    )

    for user, paths in (
        (requester, ["/", "/status/"]),
        (agent_l1, ["/incidents/", f"/incidents/{incident.pk}/", f"/tickets/{ticket.pk}/"]),
    ):
        page = open_page(browser, live_server, user, viewport=PHONE)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert sideways(page) == 0, path
        page.context.close()
