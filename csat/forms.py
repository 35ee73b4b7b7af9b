from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csat.models import RATINGS
from helpdesk.date_bounds import BoundedDateField
from helpdesk.query import KnownParametersForm
from tickets.forms import LimitedTextField


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(n, str(n)) for n in RATINGS],
        coerce=int,
        widget=forms.RadioSelect,
    )
    # Checked on the server (a form error, the comment given back), never cut by the browser.
    comment = LimitedTextField(
        limit=4000,
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PeriodForm(KnownParametersForm):
    # `?from=2026-11-01` showed the last 30 days' figures as if they were that period's.
    unknown_message = _(
        "“%(name)s” is not a filter of the satisfaction report: it takes start and end."
    )

    start = BoundedDateField(label=_("From"), required=False)
    end = BoundedDateField(label=_("To (inclusive)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        # Reversed boxes were swapped silently: a manager who typed them the wrong way round
        # read figures for days they had not asked for, the boxes changed under them. Refused
        # naming both boxes (as the SLA dashboard refuses them), the default period shown.
        if start is not None and end is not None and start > end:
            self.add_error(
                "end",
                forms.ValidationError(
                    _("%(end)s is before “%(start_label)s” (%(start)s): give the later day here."),
                    code="before_start",
                    params={
                        "end": end.isoformat(),
                        "start": start.isoformat(),
                        "start_label": self.fields["start"].label,
                    },
                ),
            )
        elif start is not None and end is None and start > timezone.localdate():
            # "To" left empty means today: a start after it was swapped the same way.
            self.add_error(
                "start",
                forms.ValidationError(
                    _(
                        "%(start)s is after today, and “%(end_label)s” is today when left "
                        "empty: give a day up to today, or a later “%(end_label)s”."
                    ),
                    code="after_end",
                    params={"start": start.isoformat(), "end_label": self.fields["end"].label},
                ),
            )
        return data

    def period(self) -> tuple[date, date]:
        """The chosen days; the last 30 days by default (also when the form is refused)."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        return start, end
