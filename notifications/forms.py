from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from notifications.models import IN_APP_KINDS, NotificationKind
from notifications.selectors import kinds_for_user

IN_APP_PREFIX = "in_app-"


@dataclass(frozen=True)
class PreferenceRow:
    """One line of the grid: a kind, its email checkbox and its bell checkbox (or None)."""

    kind: str
    label: str
    email: forms.BoundField
    in_app: forms.BoundField | None


class PreferencesForm(forms.Form):
    """A grid kind × channel: the field named after the kind means "email me", the one named
    `in_app-<kind>` means "show it in the bell". Unmutable kinds stay locked for email only."""

    def __init__(
        self,
        *args: Any,
        user: User,
        muted: frozenset[str],
        muted_in_app: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds_for_user(user=user)
        for kind, label, mutable in self.kinds:
            email_label = _("%(kind)s by email") % {"kind": label}
            self.fields[kind] = forms.BooleanField(
                label=email_label,
                widget=forms.CheckboxInput(attrs={"aria-label": email_label}),
                required=False,
                initial=(kind not in muted) or not mutable,
                disabled=not mutable,
                help_text="" if mutable else _("Always sent: this one cannot be turned off."),
            )
            if kind in IN_APP_KINDS:
                in_app_label = _("%(kind)s in the app") % {"kind": label}
                self.fields[IN_APP_PREFIX + kind] = forms.BooleanField(
                    label=in_app_label,
                    widget=forms.CheckboxInput(attrs={"aria-label": in_app_label}),
                    required=False,
                    initial=kind not in muted_in_app,
                )

    def clean(self) -> dict[str, Any]:
        """A choice sent for a kind this user is never sent (or never sent in the app) is
        refused: it was ignored, so a hand-made or stale form looked saved while nothing was."""
        data = super().clean() or {}
        labels = dict(NotificationKind.choices)
        refused = []
        for name in self.data:
            kind = name.removeprefix(IN_APP_PREFIX)
            if kind in labels and name not in self.fields:
                refused.append(str(labels[kind]))
        if refused:
            raise forms.ValidationError(
                _("You are never sent these notifications, so they cannot be set: %(kinds)s"),
                params={"kinds": ", ".join(sorted(set(refused)))},
                code="not_sent_to_you",
            )
        return data

    def rows(self) -> list[PreferenceRow]:
        return [
            PreferenceRow(
                kind=kind,
                label=label,
                email=self[kind],
                in_app=self[IN_APP_PREFIX + kind] if kind in IN_APP_KINDS else None,
            )
            for kind, label, _mutable in self.kinds
        ]

    def muted_kinds(self) -> list[str]:
        return [
            kind
            for kind, _label, mutable in self.kinds
            if mutable and not self.cleaned_data.get(kind)
        ]

    def muted_in_app_kinds(self) -> list[str]:
        return [
            kind
            for kind, _label, _mutable in self.kinds
            if kind in IN_APP_KINDS and not self.cleaned_data.get(IN_APP_PREFIX + kind)
        ]
