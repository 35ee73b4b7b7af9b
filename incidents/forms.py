from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from helpdesk.date_bounds import BoundedDateTimeField
from incidents.models import IncidentStatus
from tickets.forms import LimitedTextField
from tickets.models_choices import TEXT_MAX_LENGTH


class _DueField(BoundedDateTimeField):
    """2000–2099, as the API: 9999-12-31 23:59 was saved, then the pages showing it (the
    public status page too) failed wherever it fell past year 9999."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})


class _RefusableForm(forms.Form):
    def refuse(self, message: str) -> None:
        """Refused as a whole (a resolved incident): the message alone, the typed text kept.
        The fields' own errors would be about a post that cannot be made at all."""
        self.full_clean()
        self._errors = ErrorDict()
        self.add_error(None, message)


class DeclareForm(forms.Form):
    public_title = forms.CharField(label=_("Public title (English)"), max_length=200)
    public_title_es = forms.CharField(
        label=_("Public title (Spanish)"), max_length=200, required=False
    )
    public_summary = LimitedTextField(
        label=_("Public summary (English)"),
        limit=TEXT_MAX_LENGTH,
        widget=forms.Textarea,
        required=False,
    )
    public_summary_es = LimitedTextField(
        label=_("Public summary (Spanish)"),
        limit=TEXT_MAX_LENGTH,
        widget=forms.Textarea,
        required=False,
    )
    affected_services = forms.CharField(
        label=_("Affected services (comma-separated)"), max_length=300, required=False
    )
    message = LimitedTextField(
        label=_("First update (English)"), limit=TEXT_MAX_LENGTH, widget=forms.Textarea
    )
    message_es = LimitedTextField(
        label=_("First update (Spanish)"),
        limit=TEXT_MAX_LENGTH,
        widget=forms.Textarea,
        required=False,
    )
    next_update_due_at = _DueField(label=_("Next update due at"))


class UpdateForm(_RefusableForm):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    message = LimitedTextField(
        label=_("Update (English)"), limit=TEXT_MAX_LENGTH, widget=forms.Textarea
    )
    message_es = LimitedTextField(
        label=_("Update (Spanish)"), limit=TEXT_MAX_LENGTH, widget=forms.Textarea, required=False
    )
    next_update_due_at = _DueField(label=_("Next update due at"), required=False)


class LinkForm(_RefusableForm):
    ticket = forms.CharField(label=_("Ticket (e.g. INC-000123)"), max_length=30)
