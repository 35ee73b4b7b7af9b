"""Hierarchical escalation: tell the tier lead and the managers, without moving the ticket."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from escalation.models import SupportGroup
from notifications.models import NotificationKind
from notifications.services import notification_enqueue
from tickets.models import EventKind, Ticket, TicketEvent


def hierarchical_recipients(*, ticket: Ticket) -> list[User]:
    """The leads of the ticket's tier groups and every active manager, each once."""
    leads = User.objects.filter(
        led_groups__in=SupportGroup.objects.filter(tier=ticket.tier), is_active=True
    )
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    return list((leads | managers).distinct().order_by("pk"))


def ticket_raise_to_manager(
    *, ticket: Ticket, actor: User | None, reason: str, cause: str = ""
) -> TicketEvent:
    """Record a hierarchical escalation and notify the tier lead and the managers.

    `actor` is None when the SLA engine raises it; `cause` (e.g. "sla:123:breach") makes a
    repeated call for the same cause notify nobody twice.
    """
    with transaction.atomic():
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            created_at=timezone.now(),
            kind=EventKind.RAISED,
            reason=reason,
            reason_is_internal=True,
        )
        for recipient in hierarchical_recipients(ticket=ticket):
            if actor is not None and recipient.pk == actor.pk:
                continue
            notification_enqueue(
                recipient=recipient,
                kind=NotificationKind.RAISED_TO_MANAGER,
                ticket=ticket,
                cause=cause or f"event:{event.pk}",
                context={"reason": reason},
            )
    return event
