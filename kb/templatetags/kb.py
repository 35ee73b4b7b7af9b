from typing import Any

from django import template

from kb.forms import LinkForm
from kb.selectors import can_use_kb_tools, similar_to_ticket, ticket_links_for_user
from tickets.models import Status

register = template.Library()


@register.simple_tag
def ticket_kb_panel(ticket: Any, user: Any, bound: LinkForm | None = None) -> dict[str, Any]:
    """What the ticket page shows from past incidents: for support staff the similar resolved
    incidents, the related tickets and the promote button; for anyone else nothing. `bound`:
    the link form sent back with its error and the reference typed."""
    if user is None or not can_use_kb_tools(user=user):
        return {"show": False}
    return {
        "show": True,
        "similar": similar_to_ticket(user=user, ticket=ticket),
        "links": ticket_links_for_user(user=user, ticket=ticket),
        "can_link": user.is_agent,
        "link_form": bound or LinkForm(),
        "can_promote": ticket.status in (Status.RESOLVED, Status.CLOSED)
        and bool(ticket.resolution_summary),
    }
