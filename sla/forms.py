"""Forms of the SLA pages: the breach forecast's window and page."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from escalation.models import Tier
from helpdesk.csv_export import labelled_errors
from helpdesk.query import KnownParametersForm
from sla.forecast import DEFAULT_WINDOW_HOURS, SOURCES, WINDOW_HOURS, Cursor, ForecastScope
from tickets.forms import tier_filter_field


def window_label(hours: int) -> str:
    return ngettext("Next hour", "Next %(n)d hours", hours) % {"n": hours}


class ForecastForm(KnownParametersForm):
    """?hours=1|4|8|24 (default 4), ?source=sla|ola (default both), ?tier=1|2|3 (default every
    tier the reader sees) and the opaque cursor of the next page. Any other parameter is an
    error: `?window=8` or `?tiers=2` silently showed the default figures as if applied."""

    unknown_message = _(
        "“%(name)s” is not a filter of the breach forecast: it takes hours "
        "(the window), source (the clocks) and tier."
    )

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
    tier = tier_filter_field()
    cursor = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, scope: ForecastScope | None = None, **kwargs: Any
    ) -> None:
        if data is not None and not data.get("hours"):
            # No window asked for: the default, shown as chosen in the select.
            data = data.copy()
            data["hours"] = str(DEFAULT_WINDOW_HOURS)
        super().__init__(data, **kwargs)
        self.scope = scope or ForecastScope()
        # Labels in the reader's language, not the one active at import.
        hours: forms.TypedChoiceField = self.fields["hours"]  # type: ignore[assignment]
        hours.choices = [(h, window_label(h)) for h in WINDOW_HOURS]
        # A tier lead chooses among the tiers they see (another one is refused, not empty).
        tier: forms.TypedChoiceField = self.fields["tier"]  # type: ignore[assignment]
        seen = self.scope.tiers
        tier.choices = [
            ("", _("Any tier")),
            *(choice for choice in Tier.choices if seen is None or choice[0] in seen),
        ]

    def error_lines(self) -> list[str]:
        """What the page says about a refused query: each error after its field's label."""
        return labelled_errors(self)

    def chosen_scope(self) -> ForecastScope:
        """The reader's scope, narrowed to the tier asked for."""
        tier = self.cleaned_data.get("tier")
        return self.scope if tier is None else ForecastScope(tiers=frozenset({tier}))

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
        """The window, source and tier as a query string, for the page's links."""
        hours = self.hours_or_default()
        source = self.cleaned_data.get("source") or ""
        tier = self.cleaned_data.get("tier")
        return (
            f"hours={hours}"
            + (f"&source={source}" if source else "")
            + (f"&tier={tier}" if tier is not None else "")
        )
