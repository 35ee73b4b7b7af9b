from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from tickets import services
from tickets.models import Status
from tickets.tasks import auto_close_resolved

pytestmark = pytest.mark.django_db


def test_resolved_ticket_closes_after_the_configured_days(make_ticket, settings):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 5
    ticket = make_ticket(Status.RESOLVED)

    with time_machine.travel(timezone.now() + timedelta(days=4, hours=23)):
        assert auto_close_resolved() == 0
    with time_machine.travel(timezone.now() + timedelta(days=5, minutes=1)):
        assert auto_close_resolved() == 1
        assert auto_close_resolved() == 0

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    event = ticket.events.latest("id")
    assert (event.transition, event.actor) == ("close", None)


def test_a_reopened_ticket_is_not_auto_closed(make_ticket, requester, settings):
    settings.HELPDESK_AUTO_CLOSE_DAYS = 5
    ticket = make_ticket(Status.RESOLVED)
    services.ticket_reopen(ticket=ticket, actor=requester, reason="Still broken")

    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert auto_close_resolved() == 0

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS


def test_the_system_cannot_close_a_fresh_resolution(make_ticket):
    ticket = make_ticket(Status.RESOLVED)

    with pytest.raises(TransitionNotAllowed):
        services.ticket_close(ticket=ticket, actor=None)
