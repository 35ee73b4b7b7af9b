from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from sla.selectors import ticket_sla_status
from tickets.models import Ticket

register = template.Library()


def remaining_text(seconds: int) -> str:
    """7 h 55 min, 2 d 3 h, 12 min 05 s (static/sla/countdown.js writes the same)."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}


@register.filter
def sla_left(seconds: int | None) -> str:
    """ "7 h 55 min left" / "7 h 55 min restantes": plural-aware (ngettext on the seconds)."""
    if seconds is None:
        return ""
    count = max(0, int(seconds))
    return ngettext("%(time)s left", "%(time)s left", count) % {"time": remaining_text(count)}


@register.inclusion_tag("sla/_clocks.html")
def sla_clocks(ticket: Ticket) -> dict[str, Any]:
    """`{% load sla %}{% sla_clocks ticket %}`: the ticket's clocks as countdowns.

    Uses the clocks prefetched by `tickets.selectors.ticket_list` when there are, else 1 query.
    """
    return {"clocks": ticket_sla_status(ticket=ticket)}


@register.simple_tag
def sla_countdown_texts() -> str:
    """The words static/sla/countdown.js ticks with, as data attributes of the clocks' list:
    the page's language, with the clock's gender ("vencida") and the plural ("restantes")."""
    return format_html(
        'data-sla-overdue="{}" data-sla-left-one="{}" data-sla-left-other="{}" '
        'data-sla-dh="{}" data-sla-hm="{}" data-sla-ms="{}"',
        pgettext("SLA clock", "overdue"),
        ngettext("%(time)s left", "%(time)s left", 1),
        ngettext("%(time)s left", "%(time)s left", 2),
        _("%(d)d d %(h)d h"),
        _("%(h)d h %(m)02d min"),
        _("%(m)d min %(s)02d s"),
    )
