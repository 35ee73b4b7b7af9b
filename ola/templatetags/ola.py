from typing import Any

from django import template

from ola.selectors import ticket_ola_status
from tickets.models import Ticket

register = template.Library()


@register.inclusion_tag("ola/_clocks.html")
def ola_clocks(ticket: Ticket) -> dict[str, Any]:
    """`{% load ola %}{% ola_clocks ticket %}`: the OLA clocks of the ticket's stay in its tier,
    as countdowns ticked by static/sla/countdown.js like the SLA ones (1 query)."""
    return {"clocks": ticket_ola_status(ticket=ticket), "tier": ticket.tier}
