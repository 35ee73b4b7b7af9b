from datetime import datetime
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

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


_COUNTDOWN_TEXTS: dict[str | None, SafeString] = {}


@register.simple_tag
def sla_countdown_texts() -> SafeString:
    """The words static/sla/countdown.js ticks with, as data attributes of the clocks' list:
    the page's language, with the clock's gender ("vencida") and the plural ("restantes").
    Built once per language: a queue page has a list on every row."""
    language = get_language()
    if (texts := _COUNTDOWN_TEXTS.get(language)) is None:
        texts = _COUNTDOWN_TEXTS[language] = _countdown_texts()
    return texts


def _countdown_texts() -> SafeString:
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


def _iso(value: datetime | None) -> str:
    """As the template filter `date:'c'`: the ISO 8601 time in the current time zone."""
    return localtime(value).isoformat() if value is not None else ""


def _long(value: datetime | None) -> str:
    """As the template filter `date:'DATETIME_FORMAT'`."""
    return formats.date_format(localtime(value), "DATETIME_FORMAT") if value is not None else ""


def _metric_name(clock: dict[str, Any]) -> str:
    metric = clock.get("metric")
    if clock.get("tier"):
        name = (
            pgettext("OLA clock", "Take") if metric == "take" else pgettext("OLA clock", "Hand-off")
        )
        name = f"L{clock['tier']} · {name}"
    elif metric == "first_response":
        name = _("First response")
    elif metric == "next_response":
        name = _("Next response")
    else:
        name = _("Resolution")
    cycle = clock.get("cycle") or 1
    return f"{name} #{cycle}" if cycle > 1 else name


def _clock_value(clock: dict[str, Any]) -> SafeString:
    state = clock.get("state")
    if state == "running":
        shown = (
            pgettext("SLA clock", "overdue")
            if clock.get("breached")
            else sla_left(clock.get("remaining_seconds"))
        )
        return format_html(
            '<time class="sla-countdown" datetime="{}" title="{}">{}</time>',
            _iso(clock.get("due_at")),
            _("Due %(due)s") % {"due": _long(clock.get("due_at"))},
            shown,
        )
    if state == "paused":
        paused = pgettext("SLA clock", "paused")
        if clock.get("breached"):
            return format_html("{} · {}", paused, pgettext("SLA clock", "overdue"))
        return format_html("{}", paused)
    if state == "met":
        return format_html("{}", pgettext("SLA clock", "met"))
    if state == "breached":
        words = pgettext("SLA clock", "breached (due %(due)s)")
        return format_html("{}", words % {"due": _long(clock.get("due_at"))})
    return format_html("{}", pgettext("SLA clock", "cancelled"))


@register.simple_tag
def sla_clock(clock: dict[str, Any]) -> SafeString:
    """One clock of a countdown list (sla/_clocks.html, ola/_clocks.html): its name and its
    value, the time left or its state. `clock`: a clock status (sla.selectors.clock_status; an
    OLA clock's, ola.selectors.ola_clock_status, also has its `tier`).

    static/sla/countdown.js ticks running clocks down from the data attributes and turns them
    amber at 75 % (data-sla-at-risk) and red at the due time (data-sla-due). The state words
    have the context "SLA clock": every SLA and OLA metric is feminine in Spanish ("vencida").
    Written in Python, not a template: a queue page shows fifty of them, and an included
    template cost 0.6 ms each (bench/RESULTS.md, stop 28)."""
    state = clock.get("state", "")
    classes = f"sla-clock sla-{state}"
    if clock.get("breached"):
        classes += " sla-red"
    elif clock.get("at_risk"):
        classes += " sla-amber"
    remaining = clock.get("remaining_seconds")
    return format_html(
        '<li class="{}"{}{} data-sla-state="{}" data-sla-due="{}" data-sla-at-risk="{}"{}>'
        '<span class="sla-metric">{}</span> <span class="sla-value">{}</span></li>',
        classes,
        " " if clock.get("tier") else "",
        format_html('data-ola-metric="{}"', clock.get("metric")) if clock.get("tier") else "",
        state,
        _iso(clock.get("due_at")),
        _iso(clock.get("at_risk_at")),
        format_html(' data-sla-remaining="{}"', remaining) if remaining is not None else "",
        _metric_name(clock),
        _clock_value(clock),
    )


@register.simple_tag
def sla_clock_list(clocks: list[dict[str, Any]]) -> SafeString:
    """A ticket's SLA clocks as a countdown list (what sla/_clocks.html shows): a queue row
    draws it without including a template."""
    if not clocks:
        return SafeString("")
    return format_html(
        '<ul class="sla-clocks" aria-label="{}" {}>{}</ul>',
        _("Service level"),
        sla_countdown_texts(),
        SafeString("".join(sla_clock(clock) for clock in clocks)),
    )
