import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import normalize_identity


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


PASSWORD_HELP = _("At least 8 characters, not only digits, not a common password.")


def clean_address(value: str) -> str:
    """The address as stored (normalize_identity), checked again once normalised: folding may
    lengthen it (ligatures) or turn a look-alike into a character that makes it invalid."""
    address = normalize_identity(value)
    if len(address) > MAX_EMAIL:
        raise forms.ValidationError(_("This address is too long."), code="max_length")
    validate_email(address)
    return address


MAX_EMAIL = 254


class SignUpForm(forms.Form):
    """Name, address and language: the password is chosen through the emailed link, which
    proves the address (and lets the page answer the same whether or not it has an account)."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])


class SetPasswordForm(auth_forms.SetPasswordForm):
    """Django's form (the reset link), with our help text and labels."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (old password, new one twice), with our help text; the old password is
    checked through the lockout like a sign-in (services.password_is_current)."""

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def clean_old_password(self) -> str:
        from accounts.services import password_is_current

        old_password: str = self.cleaned_data["old_password"]
        if not password_is_current(request=self.request, user=self.user, password=old_password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What it is for, e.g. “monitoring script”."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        required=False,
        help_text=_("Leave empty for the longest allowed."),
    )


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zone_choices)
