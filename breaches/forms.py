from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from breaches.models import (
    EDITABLE_FIELDS,
    Breach,
    BreachStatus,
    SubjectsDecision,
    SubjectsExemption,
)
from breaches.services import TEXT_FIELDS
from helpdesk.date_bounds import BoundedDateTimeField
from helpdesk.query import KnownParametersForm
from helpdesk.text import TypedTextField
from tickets.forms import AttachmentInput, LimitedTextField
from tickets.models_choices import TEXT_MAX_LENGTH


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


DATETIME_WIDGETS: dict[str, forms.Widget] = {
    "occurred_at": DateTimeInput(),
    "detected_at": DateTimeInput(),
    "aware_at": DateTimeInput(),
}


class BreachForm(forms.ModelForm):
    """The register fields; the service validates the rules and audits each change. Bound with
    `initial` = the breach as the editor loaded it (selectors.breach_values_at), its changed
    fields are the editor's changes, whatever colleagues saved since."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The time inputs show minutes: a time left as shown is not a change (saving it cut
        # the seconds off the awareness time, moving the 72-hour deadline and the audit).
        for name in DATETIME_WIDGETS:
            value = self.initial.get(name)
            if isinstance(value, datetime):
                self.initial[name] = value.replace(second=0, microsecond=0)

    def changed_values(self) -> dict[str, Any]:
        """The register fields the editor changed, from what they loaded."""
        return {name: self.cleaned_data[name] for name in self.changed_data}

    class Meta:
        model = Breach
        fields = EDITABLE_FIELDS
        # Line breaks as "\n": a text left as loaded is not a change (browsers send "\r\n").
        field_classes = {name: TypedTextField for name in TEXT_FIELDS}
        widgets = {
            **DATETIME_WIDGETS,
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in [
                    "description",
                    "subject_categories",
                    "data_categories",
                    "special_categories",
                    "likely_consequences",
                    "risk_reasoning",
                    "containment_measures",
                    "remedial_measures",
                    "dpo_contact",
                    "processor_involved",
                ]
            },
        }


class BreachCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = TypedTextField(label=_("Description"), widget=forms.Textarea, required=False)
    aware_at = BoundedDateTimeField(
        label=_("Became aware at"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Starts the 72-hour clock. Empty means now."),
    )
    detected_at = BoundedDateTimeField(
        label=_("Detected at"), required=False, widget=DateTimeInput()
    )


class FlagForm(forms.Form):
    description = LimitedTextField(
        limit=TEXT_MAX_LENGTH,
        label=_("What happened?"),
        error_messages={"required": _("Say briefly what happened before flagging.")},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which personal data, and how it was exposed, altered or lost."),
    )


class NotifyAuthorityForm(forms.Form):
    notified_at = BoundedDateTimeField(label=_("Notified at"), widget=DateTimeInput())
    authority = forms.CharField(label=_("Authority"), max_length=200, initial="AEPD")
    reference = forms.CharField(label=_("Authority reference"), max_length=100, required=False)
    summary = TypedTextField(
        label=_("What was communicated"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    late_reason = TypedTextField(
        label=_("Reasons for the delay (required after 72 hours)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class NotNotifyingForm(forms.Form):
    reason = TypedTextField(
        label=_("Why the authority is not notified"), widget=forms.Textarea(attrs={"rows": 3})
    )


class SubjectsDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[c for c in SubjectsDecision.choices if c[0] != SubjectsDecision.PENDING],
    )
    exemption = forms.ChoiceField(
        label=_("Exemption used"),
        choices=[("", "—"), *SubjectsExemption.choices],
        required=False,
    )
    reason = TypedTextField(
        label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class SubjectsCommunicationForm(forms.Form):
    communicated_at = BoundedDateTimeField(label=_("Told at"), widget=DateTimeInput())
    communication = TypedTextField(
        label=_("How and what they were told"), widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    body = TypedTextField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"), widget=AttachmentInput())


class LinkTicketForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket reference"), max_length=30)


SEARCH_MAX_LENGTH = 200


class BreachListForm(KnownParametersForm):
    """The register's search and status filter. `?status=opne` (an edited or old link) and
    `?staus=open` listed every record as if filtered; now a form error on the page (400)."""

    unknown_message = _("“%(name)s” is not a filter of the breach register: it takes q and status.")

    # Any text: a refused value is named in the message; longer searches are cut, as before.
    q = forms.CharField(label=_("Search"), required=False, strip=True)
    status = forms.Field(label=_("Status"), required=False)

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"] or "")[:SEARCH_MAX_LENGTH]

    def clean_status(self) -> str:
        raw = str(self.cleaned_data["status"] or "").strip()
        if raw and raw not in BreachStatus.values:
            raise forms.ValidationError(
                _("The status filter “%(value)s” is none of open and closed."),
                code="invalid_choice",
                params={"value": raw.replace("\x00", "")[:40]},
            )
        return raw
