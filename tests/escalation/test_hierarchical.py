import pytest

from escalation.models import SupportGroup, Tier
from escalation.services import ticket_raise_to_manager
from notifications.models import Notification, NotificationKind
from tickets.models import EventKind, Status

pytestmark = pytest.mark.django_db


def test_raise_to_manager_notifies_lead_and_managers_without_moving_the_ticket(
    make_ticket, agent_l1, manager
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    lead_group = SupportGroup.objects.get(tier=Tier.L1)
    from tests.factories import AgentFactory

    lead = AgentFactory(username="lead_l1", tier=Tier.L1)
    lead_group.lead = lead
    lead_group.save()

    event = ticket_raise_to_manager(ticket=ticket, actor=agent_l1, reason="Customer is furious")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier) == (Status.IN_DIAGNOSIS, Tier.L1)
    assert event.kind == EventKind.RAISED and event.reason_is_internal
    recipients = set(
        Notification.objects.filter(kind=NotificationKind.RAISED_TO_MANAGER).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"lead_l1", "manager"}


def test_the_same_cause_notifies_once(make_ticket, manager):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    ticket_raise_to_manager(ticket=ticket, actor=None, reason="SLA breached", cause="sla:1:breach")
    ticket_raise_to_manager(ticket=ticket, actor=None, reason="SLA breached", cause="sla:1:breach")

    assert Notification.objects.filter(kind=NotificationKind.RAISED_TO_MANAGER).count() == 1
