from typing import Any

from django import template

from csat.forms import RatingForm
from csat.selectors import survey_for_ticket

register = template.Library()


@register.simple_tag
def ticket_csat_panel(ticket: Any, user: Any, form: Any = None) -> dict[str, Any]:
    """The requester rates their closed ticket (or sees their rating); staff see the rating.

    `form`: the rating form sent back with its errors (and the typed comment), if any."""
    if user is None or not user.is_authenticated:
        return {"show": False}
    is_requester = user.pk == ticket.requester_id
    if not (is_requester or user.is_staff_member):
        return {"show": False}
    survey = survey_for_ticket(ticket_id=ticket.pk)
    if survey is None:
        return {"show": False}
    return {
        "show": True,
        "survey": survey,
        "can_rate": is_requester and not survey.is_answered,
        "form": form or RatingForm(),
    }
