from typing import Any

from django import template

from breaches.display import field_label, value_display
from breaches.forms import FlagForm
from breaches.models import BreachAuditEntry
from breaches.selectors import breach_can_read, ticket_breaches_for_user, ticket_is_flagged

register = template.Library()


@register.simple_tag
def ticket_breach_panel(ticket: Any, user: Any, bound: FlagForm | None = None) -> dict[str, Any]:
    """What the ticket page shows about breaches: the links for those who may read the
    register, the flag form for agents (`bound`: sent back with its errors), nothing for anyone
    else."""
    if user is None or not user.is_authenticated:
        return {"breaches": [], "can_flag": False, "flagged": False}
    if breach_can_read(user=user):
        return {"breaches": ticket_breaches_for_user(user=user, ticket=ticket), "can_flag": False}
    if user.is_agent:
        return {
            "breaches": [],
            "can_flag": True,
            "flagged": ticket_is_flagged(ticket=ticket),
            "form": bound or FlagForm(),
        }
    return {"breaches": [], "can_flag": False, "flagged": False}


@register.simple_tag
def breach_changes(entry: BreachAuditEntry) -> list[tuple[str, str, str]]:
    """An audit entry's changes as (label, before, after), in the reader's language."""
    return [
        (field_label(name), value_display(name, change[0]), value_display(name, change[1]))
        for name, change in entry.changes.items()
    ]
