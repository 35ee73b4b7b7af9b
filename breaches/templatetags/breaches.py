from datetime import datetime
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from breaches.forms import FlagForm
from breaches.models import Breach, BreachAuditEntry
from breaches.selectors import breach_can_read, ticket_breaches_for_user, ticket_is_flagged

register = template.Library()


@register.simple_tag
def ticket_breach_panel(ticket: Any, user: Any) -> dict[str, Any]:
    """What the ticket page shows about breaches: the links for those who may read the
    register, the flag form for agents, nothing for anyone else."""
    if user is None or not user.is_authenticated:
        return {"breaches": [], "can_flag": False, "flagged": False}
    if breach_can_read(user=user):
        return {"breaches": ticket_breaches_for_user(user=user, ticket=ticket), "can_flag": False}
    if user.is_agent:
        return {
            "breaches": [],
            "can_flag": True,
            "flagged": ticket_is_flagged(ticket=ticket),
            "form": FlagForm(),
        }
    return {"breaches": [], "can_flag": False, "flagged": False}


# Audit keys that are not a field of the record.
_OTHER_LABELS = {
    "tickets": gettext_lazy("Linked tickets"),
    "note": gettext_lazy("Note"),
    "threshold_hours": gettext_lazy("Hours passed"),
}


def _label(name: str) -> str:
    try:
        field = Breach._meta.get_field(name)
    except FieldDoesNotExist:
        return str(_OTHER_LABELS.get(name, name))
    return capfirst(str(getattr(field, "verbose_name", name)))


def _shown(name: str, value: Any) -> str:
    """A stored audit value as the reader reads it: choices by their label, times in their
    format and time zone, yes/no; the ISO text and the codes were shown as stored."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    try:
        field = Breach._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))  # type: ignore[union-attr]
    if isinstance(field, DateTimeField) and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")
    return str(value)


@register.simple_tag
def breach_changes(entry: BreachAuditEntry) -> list[tuple[str, str, str]]:
    """An audit entry's changes as (label, before, after), in the reader's language."""
    return [
        (_label(name), _shown(name, change[0]), _shown(name, change[1]))
        for name, change in entry.changes.items()
    ]
