from datetime import timedelta
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _sample_call_context() -> dict[str, Any]:
    """What the managers' template preview shows for call emails (nothing is saved)."""
    from django.utils import timezone

    from accounts.models import User
    from escalation.models import CallMedium, ScheduledCall

    call = ScheduledCall(
        organiser=User(username="sample-agent", display_name="Lucía Pérez"),
        starts_at=timezone.now() + timedelta(days=1),
        duration_minutes=30,
        medium=CallMedium.VIDEO,
        link_or_number="https://meet.example.com/helpdesk-123",
    )
    return {"call": call, "call_time_zone": "Europe/Madrid", "is_update": False}


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = _("Tiers and escalation")

    def ready(self) -> None:
        from escalation.models import RoutingRule, SupportGroup
        from escalation.services import ticket_reroute, ticket_route
        from helpdesk.config_cache import watch
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from tickets import hooks

        # A new ticket goes to the queue the routing rules give it (before its clocks start).
        hooks.react(
            hooks.TicketCreated,
            "escalation.route",
            lambda created: ticket_route(ticket=created.ticket, at=created.at),
        )
        # A change of kind, category or priority routes it again (TicketRerouted if it moved).
        hooks.react(hooks.TicketTransitioned, "escalation.reroute", ticket_reroute)
        hooks.react(hooks.TicketChanged, "escalation.reroute", ticket_reroute)

        for kind in (NotificationKind.CALL_INVITATION, NotificationKind.CALL_CANCELLED):
            # The real context and the .ics come from escalation.ics at send time.
            register_context_builder(kind=kind, build=lambda _n: {}, sample=_sample_call_context)
        # The routing rules are kept per process (escalation.selectors).
        watch(RoutingRule, SupportGroup)
