"""Breach register values as a reader reads them: a field's label, a choice's label, yes/no, a
time in the reader's format and zone. The history (audit entries, stored as JSON) and the edit
conflict message (values from the record) both show them."""

from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import DateTimeField
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from breaches.models import Breach

# Audit keys that are not a field of the record.
_OTHER_LABELS = {
    "tickets": gettext_lazy("Linked tickets"),
    "note": gettext_lazy("Note"),
    "threshold_hours": gettext_lazy("Hours passed"),
}


def field_label(name: str) -> str:
    try:
        field = Breach._meta.get_field(name)
    except FieldDoesNotExist:
        return str(_OTHER_LABELS.get(name, name))
    return capfirst(str(getattr(field, "verbose_name", name)))


def value_display(name: str, value: Any, *, empty: str = "—", limit: int | None = None) -> str:
    """A record's or an audit entry's value of field `name` (a time may come as its ISO text),
    cut after `limit` characters if given. Codes and ISO texts were shown as stored."""
    if value is None or value == "" or value == []:
        return empty
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
    if isinstance(field, DateTimeField) and isinstance(value, str | datetime):
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")
    text = str(value)
    return text if limit is None or len(text) <= limit else f"{text[:limit]}…"
