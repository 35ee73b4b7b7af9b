from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from notifications.selectors import kinds_for_user


class PreferencesForm(forms.Form):
    """One checkbox per kind the user can receive: checked means "email me"."""

    def __init__(self, *args: Any, user: User, muted: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds_for_user(user=user)
        for kind, label, mutable in self.kinds:
            self.fields[kind] = forms.BooleanField(
                label=label,
                required=False,
                initial=(kind not in muted) or not mutable,
                disabled=not mutable,
                help_text="" if mutable else _("Always sent: this one cannot be turned off."),
            )

    def muted_kinds(self) -> list[str]:
        return [
            kind
            for kind, _label, mutable in self.kinds
            if mutable and not self.cleaned_data.get(kind)
        ]
