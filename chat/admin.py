from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chat.crypto import secret_seal
from chat.forms import KeepsTypedSecret
from chat.models import SUBSCRIBABLE_EVENTS, ChatChannel, ChatDelivery, Platform
from chat.services import chat_address_clean, chat_channel_name_check, chat_room_id_clean
from helpdesk.errors import DomainError


class ChatChannelAdminForm(KeepsTypedSecret, forms.ModelForm):
    # Write-only: the admin never renders the stored secret, only its hint.
    secret = forms.CharField(
        label=_("Webhook URL or access token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted; leave blank to keep the current one."),
    )

    # Checkboxes of the known events, as on the managers' page: the model's JSON box took any
    # JSON ("5", "{}", ["nope"]), and a number there failed every ticket write (the routes are
    # read from every channel's events).
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=SUBSCRIBABLE_EVENTS, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not (self.instance and self.instance.pk):
            # Nothing stored yet to keep: a new channel needs its secret.
            self.fields["secret"].help_text = _("Stored encrypted.")
        self.secret_kept_setup()

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.errors:
            self.keep_typed_secret()  # as on the managers' page

    class Meta:
        model = ChatChannel
        fields = [
            "name",
            "support_group",
            "platform",
            "homeserver",
            "room_id",
            "events",
            "language",
            "is_enabled",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        secret = cleaned["secret"] = self.secret_typed(cleaned)
        platform = cleaned.get("platform")
        stored = self.instance.secret_encrypted if self.instance.pk else ""
        # A token kept across a change to Slack or Teams would be sent to as a URL.
        if not secret and (not stored or platform != self.instance.platform):
            self.add_error("secret", _("Enter the webhook URL or the access token."))
        # The same address checks as the pages and the API (chat.services): http(s), and
        # never an address inside the server's own network.
        try:
            if platform == Platform.MATRIX:
                cleaned["homeserver"] = chat_address_clean(
                    value=cleaned.get("homeserver") or "", field_name="homeserver"
                )
            elif secret:
                cleaned["secret"] = chat_address_clean(value=secret, field_name="secret")
        except DomainError as exc:
            self.add_error(exc.field, exc.message)
        if platform == Platform.MATRIX and "room_id" not in self.errors:
            # An alias (#room:server) was saved here, and every message to it then failed.
            try:
                cleaned["room_id"] = chat_room_id_clean(value=cleaned.get("room_id") or "")
            except DomainError as exc:
                self.add_error(exc.field, exc.message)
        elif platform:
            # Slack and Teams have no room: the service stores none either.
            cleaned["homeserver"] = cleaned["room_id"] = ""
        if cleaned.get("name"):
            # As the pages and the API: one name, one channel (as a field error; the model's
            # constraint then is not checked twice).
            try:
                chat_channel_name_check(
                    name=cleaned["name"].strip(),
                    channel=self.instance if self.instance.pk else None,
                )
            except DomainError as exc:
                self.add_error("name", exc.message)
        return cleaned

    def save(self, commit: bool = True) -> ChatChannel:
        channel = super().save(commit=False)
        secret = self.cleaned_data.get("secret", "").strip()
        if secret:
            channel.secret_encrypted = secret_seal(secret)
            channel.secret_last4 = secret[-4:]
        if commit:
            channel.save()
        return channel


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelAdminForm
    list_display = ["name", "support_group", "platform", "secret_hint", "is_enabled"]
    list_filter = ["platform", "is_enabled"]
    readonly_fields = ["secret_hint"]
    list_select_related = ["support_group"]


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    """View-only: the outbox's rows, written and retried by the chat worker. Every field was
    read-only yet the page offered Save buttons, which saved nothing. A stuck row may still be
    deleted, as before."""

    list_display = ["id", "channel", "event", "event_key", "status", "attempts", "created_at"]
    list_filter = ["status", "event"]
    list_select_related = ["channel"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
