"""The managers' channel form: it parses input; chat.services decides."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.models import SUBSCRIBABLE_EVENTS, Platform
from escalation.models import SupportGroup

# The secret field's help: what to paste, and on a change that a blank field keeps it.
SECRET_HELP = _("Slack and Teams: the webhook URL. Matrix: the bot account's access token.")


class ChatChannelForm(forms.Form):
    """A new channel needs its secret (`editing` False); a change may leave it blank to keep
    the stored one, and the help says so only then."""

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
        error_messages={"required": _("Enter the webhook URL or the access token.")},
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

    def __init__(
        self, *args: Any, editing: bool = False, secret_hint: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["support_group"].queryset = SupportGroup.objects.order_by("tier", "name")  # type: ignore[attr-defined]
        secret = self.fields["secret"]
        if not editing:
            secret.required = True
            secret.help_text = f"{SECRET_HELP} {_('Stored encrypted.')}"
        elif secret_hint:
            keep = _("Stored encrypted (%(hint)s); leave blank to keep it.") % {"hint": secret_hint}
            secret.help_text = f"{SECRET_HELP} {keep}"
        else:
            secret.help_text = (
                f"{SECRET_HELP} {_('Stored encrypted; leave blank to keep the current one.')}"
            )
