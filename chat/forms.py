"""The managers' channel form: it parses input; chat.services decides."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.crypto import typed_secret_open, typed_secret_seal
from chat.models import SUBSCRIBABLE_EVENTS, Platform
from escalation.models import SupportGroup

# The secret field's help: what to paste, and on a change that a blank field keeps it.
SECRET_HELP = _("Slack and Teams: the webhook URL. Matrix: the bot account's access token.")


class KeepsTypedSecret(forms.Form):
    """A form with a write-only `secret`: one typed before an error elsewhere (a room ID, a
    name) comes back sealed in a hidden field (chat.crypto: a key of its own, an hour), never
    as text; it was lost and had to be fetched from Slack, Teams or Matrix again. Call
    `secret_kept_setup()` at the end of __init__, once the secret's help says what it is."""

    secret_kept = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)

    def secret_kept_setup(self) -> None:
        kept = self.data.get(self.add_prefix("secret_kept"), "") if self.is_bound else ""
        self.kept_secret = typed_secret_open(str(kept)) if kept else ""
        secret = self.fields["secret"]
        self._secret_as_new = (secret.required, secret.help_text)
        if self.kept_secret:
            self._say_secret_kept(self.kept_secret)

    def secret_kept_help(self, kept: str) -> str:
        """The secret field's help once a typed secret is kept."""
        return kept

    def secret_typed(self, cleaned: dict[str, Any]) -> str:
        """The secret typed now, or else the one kept from the previous try."""
        return (cleaned.get("secret") or "").strip() or self.kept_secret

    def _say_secret_kept(self, typed: str) -> None:
        secret = self.fields["secret"]
        secret.required = False
        secret.help_text = self.secret_kept_help(
            _("The one you entered (%(hint)s) is kept; leave blank to use it, or enter another.")
            % {"hint": f"••••{typed[-4:]}"}
        )

    def keep_typed_secret(self) -> None:
        """Before a page with errors: the secret typed (or kept) goes back sealed, unless the
        error is the secret's own (then it must be fixed)."""
        typed = (getattr(self, "cleaned_data", {}).get("secret") or "").strip()
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict
        if typed and "secret" not in self.errors:
            data[self.add_prefix("secret_kept")] = typed_secret_seal(typed)
            self._say_secret_kept(typed)
        else:
            data[self.add_prefix("secret_kept")] = ""
            self.fields["secret"].required, self.fields["secret"].help_text = self._secret_as_new
        self.data = data
        # A bound field copies its help when made.
        self._bound_fields_cache.pop("secret", None)  # type: ignore[attr-defined]


class ChatChannelForm(KeepsTypedSecret):
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
        self.secret_kept_setup()

    def secret_kept_help(self, kept: str) -> str:
        return f"{SECRET_HELP} {kept}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned.pop("secret_kept", None)  # not the service's
        cleaned["secret"] = self.secret_typed(cleaned)
        return cleaned
