"""`{% load dates %}{{ value|when }}`: the one way a moment is shown on a page.

The relative time ("3 h ago", "hace 3 h", "in 2 days") in a `<time>` element whose `datetime`
is the exact instant and whose `title` (shown on hover) is the exact local time in the
language's one format (helpdesk/formats/<lang>/formats.py). Relative words read the same in a
table cell and inside a sentence ("Opened 3 h ago" / "Abierto hace 3 h").
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

MINUTE, HOUR, DAY = 60, 3600, 86400


def relative(value: datetime, *, now: datetime | None = None) -> str:
    """How long ago (or how long until) `value`, in the active language."""
    seconds = int(((now or timezone.now()) - value).total_seconds())
    ago = seconds >= 0
    span = abs(seconds)
    if span < MINUTE:
        return _("just now")
    if span < HOUR:
        n = span // MINUTE
        return (_("%(n)d min ago") if ago else _("in %(n)d min")) % {"n": n}
    if span < DAY:
        n = span // HOUR
        return (_("%(n)d h ago") if ago else _("in %(n)d h")) % {"n": n}
    days = span // DAY
    if days < 30:
        if ago:
            return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}
        return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}
    if days < 365:
        months = days // 30
        if ago:
            return ngettext("%(n)d month ago", "%(n)d months ago", months) % {"n": months}
        return ngettext("in %(n)d month", "in %(n)d months", months) % {"n": months}
    years = days // 365
    if ago:
        return ngettext("%(n)d year ago", "%(n)d years ago", years) % {"n": years}
    return ngettext("in %(n)d year", "in %(n)d years", years) % {"n": years}


@register.filter(expects_localtime=True)
def when(value: datetime | None) -> SafeString | str:
    """<time datetime="2026-03-02T12:00:00+00:00" title="2 Mar 2026, 07:00">3 h ago</time>."""
    if not value:
        return "—"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        date_format(value, "DATETIME_FORMAT"),
        relative(value),
    )
