"""Partials for the ticket page: `{% load escalation_tags %}` then
`{% escalation_ticket_actions ticket %}` and `{% escalation_calls ticket %}`."""

from typing import Any

from django import forms as django_forms
from django import template
from django.utils import timezone

from escalation import forms
from escalation.models import ScheduledCall, Tier
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


def _sent_back(context: template.Context, key: str) -> django_forms.Form | None:
    """The form the page was rendered again with, to be corrected (`bound_forms` of
    tickets.views.page.render_ticket; the keys are listed in escalation.views)."""
    return (context.get("bound_forms") or {}).get(key)


@register.inclusion_tag("escalation/_ticket_actions.html", takes_context=True)
def escalation_ticket_actions(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The escalation forms: each one sent back with its errors and what was typed is shown
    (open) instead of a new one, even when its action is no longer offered (the ticket moved
    on), so that the text can still be copied."""
    user = context["request"].user
    allowed = set(allowed_transitions(ticket=ticket, user=user))
    works = works_on_ticket(user=user, ticket=ticket)
    can_reassign = "reassign" in allowed
    sent_back = {
        key: form
        for key in ("deescalate", "reassign", "raise", "call")
        if (form := _sent_back(context, key)) is not None
    }
    return {
        "request": context["request"],
        "ticket": ticket,
        "can_deescalate": "deescalate" in allowed,
        "lower_tier": Tier(ticket.tier - 1).label if ticket.tier > Tier.L1 else "",
        "can_reassign": can_reassign,
        "assignees": (
            [a for a in agents_of_tier(tier=ticket.tier) if a.pk != ticket.assignee_id]
            if can_reassign or "reassign" in sent_back
            else []
        ),
        "can_raise": works and ticket.status != Status.CLOSED,
        "can_schedule_call": ticket.status in CALL_STATES
        and can_schedule_calls(user=user, ticket=ticket),
        "can_hold_for_call": ticket.status in (Status.IN_DIAGNOSIS, Status.ON_HOLD),
        "sent_back": sent_back,
        "deescalate_form": sent_back.get("deescalate")
        or forms.ReasonForm(auto_id=forms.DEESCALATE_FORM_IDS),
        "reassign_form": sent_back.get("reassign")
        or forms.ReassignForm(auto_id=forms.REASSIGN_FORM_IDS),
        "raise_form": sent_back.get("raise") or forms.ReasonForm(auto_id=forms.RAISE_FORM_IDS),
        "call_form": sent_back.get("call") or forms.CallForm(auto_id=forms.CALL_FORM_IDS),
    }


def _reschedule_form(call: ScheduledCall) -> forms.CallForm:
    return forms.CallForm(
        auto_id=forms.call_form_ids(call.pk),
        initial={
            "starts_at": timezone.localtime(call.starts_at),
            "duration_minutes": call.duration_minutes,
            "medium": call.medium,
            "link_or_number": call.link_or_number,
            "notes": call.notes,
        },
    )


@register.inclusion_tag("escalation/_calls.html", takes_context=True)
def escalation_calls(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """The ticket's calls. The requester sees when, how and where; notes are staff-only. Staff
    who may manage them get a reschedule and a cancel form per call (one sent back to be
    corrected instead of a new one)."""
    user = context["request"].user
    can_manage = can_schedule_calls(user=user, ticket=ticket)
    calls = list(ticket_calls(ticket=ticket))
    return {
        "request": context["request"],
        "ticket": ticket,
        "calls": [
            {
                "call": call,
                "reschedule_form": _sent_back(context, f"call-{call.pk}") or _reschedule_form(call),
                "cancel_form": _sent_back(context, f"call-{call.pk}-cancel")
                or forms.CallCancelForm(auto_id=forms.call_cancel_form_ids(call.pk)),
            }
            if can_manage
            else {"call": call}
            for call in calls
        ],
        "show_notes": user.is_authenticated and user.is_staff_member,
        "can_manage": can_manage,
    }
