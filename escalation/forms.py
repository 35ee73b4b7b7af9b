"""HTML forms: they parse input; the services decide (and their DomainErrors land on fields)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role, User
from escalation.models import POSITION_MAX, CallMedium, SupportGroup, Tier
from helpdesk.date_bounds import BoundedDateTimeField
from tickets.forms import (
    CategoryChoiceField,
    LimitedTextField,
    kind_filter_field,
    priority_filter_field,
    tier_filter_field,
)
from tickets.models import Category
from tickets.models_choices import REASON_MAX_LENGTH

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _agents() -> Any:
    return User.objects.filter(role=Role.AGENT, is_active=True).order_by("display_name", "username")


class SupportGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    tier = forms.TypedChoiceField(label=_("Tier"), choices=Tier.choices, coerce=int)
    lead = forms.ModelChoiceField(label=_("Lead"), queryset=_agents(), required=False)
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=_agents(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fresh querysets per form (a class-level queryset would be evaluated once and cached).
        self.fields["lead"].queryset = _agents()  # type: ignore[attr-defined]
        self.fields["members"].queryset = _agents()  # type: ignore[attr-defined]


class OnCallShiftForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=_agents())
    tier = forms.TypedChoiceField(
        label=_("Tier"), choices=Tier.choices, coerce=int, initial=Tier.L3
    )
    starts_at = BoundedDateTimeField(label=_("Starts at"), widget=DATETIME_WIDGET)
    ends_at = BoundedDateTimeField(label=_("Ends at"), widget=DATETIME_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = _agents()  # type: ignore[attr-defined]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    # The API's bound: 2**40 reached the database (an integer column) and came back as a bare
    # 400 page that lost the rule being typed.
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=POSITION_MAX, initial=100
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.select_related("parent"),
        required=False,
        help_text=_("A top category also matches its subcategories."),
    )
    kind = kind_filter_field()
    priority = priority_filter_field()
    target_tier = tier_filter_field(label=_("Target tier"), empty=_("The group's tier"))
    target_group = forms.ModelChoiceField(
        label=_("Target group"), queryset=SupportGroup.objects.all(), required=False
    )


class ReasonForm(forms.Form):
    reason = LimitedTextField(
        limit=REASON_MAX_LENGTH,
        label=_("Reason (internal)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReassignForm(ReasonForm):
    assignee = forms.ModelChoiceField(label=_("New assignee"), queryset=_agents())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _agents()  # type: ignore[attr-defined]


# The ids of the fields of the ticket page's escalation forms (`auto_id`): one prefix per form,
# so that no two forms of the page share an id (each label names its own field). The page also
# lists a reschedule and a cancel form per call: `call_form_ids`, `call_cancel_form_ids`.
CALL_FORM_IDS = "call_new_%s"
DEESCALATE_FORM_IDS = "deescalate-%s"
REASSIGN_FORM_IDS = "reassign-%s"
RAISE_FORM_IDS = "raise-%s"


def call_form_ids(call_id: int) -> str:
    return f"call-{call_id}-%s"


def call_cancel_form_ids(call_id: int) -> str:
    return f"call-{call_id}-cancel-%s"


class CallForm(forms.Form):
    starts_at = BoundedDateTimeField(label=_("Date and time"), widget=DATETIME_WIDGET)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=480, initial=30
    )
    # "Medium" alone is the urgency level too ("Media" in Spanish); a call's is "Medio".
    medium = forms.ChoiceField(label=pgettext_lazy("call", "Medium"), choices=CallMedium.choices)
    link_or_number = forms.CharField(label=_("Meeting link or phone number"), max_length=500)
    notes = LimitedTextField(
        limit=5000,
        label=_("Internal notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hold_until_call = forms.BooleanField(
        label=_("Wait for the call (SLA paused until it starts)"), required=False
    )


class CallCancelForm(forms.Form):
    reason = LimitedTextField(label=_("Reason"), limit=REASON_MAX_LENGTH, required=False)
