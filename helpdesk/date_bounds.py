"""Dates a user may type, bounded: 0001-01-01 or 9999-12-31 passed validation and then overflowed
in the period arithmetic (`end + 1 day`, a time-zone conversion) as a 500. Every date and
date-time input (filters and forms, HTML and API) uses these fields or the validator."""

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def validate_date_in_range(value: date | datetime | None) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s.")
            % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
            code="date_out_of_range",
        )


class BoundedDateField(forms.DateField):
    default_validators = [validate_date_in_range]


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [validate_date_in_range]


class BoundedDateTimeSerializerField(serializers.DateTimeField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["validators"] = [*kwargs.get("validators", []), validate_date_in_range]
        super().__init__(*args, **kwargs)
