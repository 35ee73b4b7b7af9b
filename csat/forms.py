from datetime import date, timedelta

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

    def period(self) -> tuple[date, date]:
        """The chosen days; the last 30 days by default."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            start, end = end, start
        return start, end
