"""Formatting of the dashboard's figures: durations in seconds and percentages."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from helpdesk.numbers import round_percent

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """1 h 05 min, 2 d 3 h, 45 min, "< 1 min"; an em dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    total = round(float(seconds) / 60)  # minutes
    if total == 0 and float(seconds) > 0:
        # A first response in 20 s, or a clock 20 s from its due time, read "0 min": as if
        # nothing were measured, or nothing left.
        return _("< 1 min")
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


@register.filter
def percent(value: float | None) -> str:
    """27.3 %: one decimal, half-up (`helpdesk.numbers`); number_format alone truncates."""
    rounded = round_percent(value)
    if rounded is None:
        return "—"
    return f"{number_format(rounded, 1)} %"


@register.filter
def hours(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return number_format(float(seconds) / 3600, 2)


@register.filter
def get_item(mapping: dict, key: object) -> object:  # type: ignore[type-arg]
    return mapping.get(key)
