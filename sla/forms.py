"""Forms of the SLA pages: the breach forecast's window and page."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sla.forecast import DEFAULT_WINDOW_HOURS, SOURCES, WINDOW_HOURS, Cursor


def window_label(hours: int) -> str:
    return ngettext("Next hour", "Next %(n)d hours", hours) % {"n": hours}


class ForecastForm(forms.Form):
    """?hours=1|4|8|24 (default 4), ?source=sla|ola (default both) and the opaque cursor of
    the next page."""

    hours = forms.TypedChoiceField(
        label=_("Window"),
        coerce=int,
        choices=[(hours, str(hours)) for hours in WINDOW_HOURS],  # labelled per request
        required=False,
        empty_value=None,
    )
    source = forms.ChoiceField(
        label=_("Clocks"),
        choices=[("", _("SLA and OLA")), *((s.name, s.title) for s in SOURCES)],
        required=False,
    )
    cursor = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        if data is not None and not data.get("hours"):
            # No window asked for: the default, shown as chosen in the select.
            data = data.copy()
            data["hours"] = str(DEFAULT_WINDOW_HOURS)
        super().__init__(data, **kwargs)
        # Labels in the reader's language, not the one active at import.
        hours: forms.TypedChoiceField = self.fields["hours"]  # type: ignore[assignment]
        hours.choices = [(h, window_label(h)) for h in WINDOW_HOURS]

    def clean_cursor(self) -> Cursor | None:
        value = self.cleaned_data.get("cursor") or ""
        if not value:
            return None
        try:
            return Cursor.decode(value)
        except ValueError:
            raise forms.ValidationError(
                _("This page link is not valid; start again from the first page.")
            ) from None

    def hours_or_default(self) -> int:
        return int(self.cleaned_data.get("hours") or DEFAULT_WINDOW_HOURS)

    def sources(self) -> list[str] | None:
        """The source asked for, or None: every source."""
        value = self.cleaned_data.get("source") or ""
        return [value] if value else None

    def query(self) -> str:
        """The window and source as a query string, for the page's links."""
        hours = self.hours_or_default()
        source = self.cleaned_data.get("source") or ""
        return f"hours={hours}" + (f"&source={source}" if source else "")
