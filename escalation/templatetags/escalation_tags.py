"""Partials for the ticket page: `{% load escalation_tags %}` then
`{% escalation_ticket_actions ticket %}` and `{% escalation_calls ticket %}`."""

from typing import Any

from django import template

from escalation.forms import CALL_FORM_IDS, CallForm
from escalation.models import Tier
from escalation.selectors import (
    CALL_STATES,
    agents_of_tier,
    can_schedule_calls,
    ticket_calls,
    works_on_ticket,
)
from tickets.models import Status, Ticket
from tickets.transitions import allowed_transitions

register = template.Library()


@register.inclusion_tag("escalation/_ticket_actions.html", takes_context=True)
def escalation_ticket_actions(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    user = context["request"].user
    allowed = set(allowed_transitions(ticket=ticket, user=user))
    works = works_on_ticket(user=user, ticket=ticket)
    can_reassign = "reassign" in allowed
    return {
        "request": context["request"],
        "ticket": ticket,
        "can_deescalate": "deescalate" in allowed,
        "lower_tier": Tier(ticket.tier - 1).label if ticket.tier > Tier.L1 else "",
        "can_reassign": can_reassign,
        "assignees": (
            [a for a in agents_of_tier(tier=ticket.tier) if a.pk != ticket.assignee_id]
            if can_reassign
            else []
        ),
        "can_raise": works and ticket.status != Status.CLOSED,
        "can_schedule_call": ticket.status in CALL_STATES
        and can_schedule_calls(user=user, ticket=ticket),
        "can_hold_for_call": ticket.status in (Status.IN_DIAGNOSIS, Status.ON_HOLD),
        # The form sent back with its errors (the page's `call_form`), else a new one.
        "call_form": context.get("call_form") or CallForm(auto_id=CALL_FORM_IDS),
    }


@register.inclusion_tag("escalation/_calls.html", takes_context=True)
def escalation_calls(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The ticket's calls. The requester sees when, how and where; notes are staff-only."""
    user = context["request"].user
    return {
        "request": context["request"],
        "ticket": ticket,
        "calls": list(ticket_calls(ticket=ticket)),
        "show_notes": user.is_authenticated and user.is_staff_member,
        "can_manage": can_schedule_calls(user=user, ticket=ticket),
    }
