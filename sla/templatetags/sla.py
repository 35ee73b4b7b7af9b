from typing import Any

from django import template

from sla.selectors import ticket_sla_status
from tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("sla/_clocks.html")
def sla_clocks(ticket: Ticket) -> dict[str, Any]:
    """`{% load sla %}{% sla_clocks ticket %}`: the ticket's clocks as countdowns.

    Uses the clocks prefetched by `tickets.selectors.ticket_list` when there are, else 1 query.
    """
    return {"clocks": ticket_sla_status(ticket=ticket)}
