"""The managers' channel form: it parses input; chat.services decides."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.models import SUBSCRIBABLE_EVENTS, Platform
from escalation.models import SupportGroup


class ChatChannelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    support_group = forms.ModelChoiceField(
        label=_("Support group"), queryset=SupportGroup.objects.none()
    )
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    # Never rendered back (render_value=False): the page shows only its last four characters.
    secret = forms.CharField(
        label=_("Webhook URL or access token"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Slack and Teams: the webhook URL. Matrix: the bot account's access token. "
            "Stored encrypted; leave blank to keep the current one."
        ),
    )
    homeserver = forms.CharField(
        label=_("Matrix homeserver URL"),
        required=False,
        max_length=200,
        help_text=_("Matrix only, e.g. https://matrix.example.org"),
    )
    room_id = forms.CharField(
        label=_("Matrix room ID"),
        required=False,
        max_length=255,
        help_text=_("Matrix only, e.g. !abcdef:example.org"),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=SUBSCRIBABLE_EVENTS, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(
        label=_("Message language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, secret_hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["support_group"].queryset = SupportGroup.objects.order_by("tier", "name")  # type: ignore[attr-defined]
        if secret_hint:
            self.fields["secret"].help_text = _(
                "Stored encrypted (%(hint)s); leave blank to keep it."
            ) % {"hint": secret_hint}
