from django.conf import settings
from rest_framework import serializers

from chat.models import SUBSCRIBABLE_EVENTS, ChatChannel, ChatDelivery, Platform
from escalation.models import SupportGroup
from helpdesk.serializers import KnownFieldsOnlyMixin


class ChatChannelSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """A channel as shown back: the secret never, only its last four characters."""

    support_group_name = serializers.CharField(source="support_group.name", read_only=True)
    secret_hint = serializers.CharField(read_only=True)

    class Meta:
        model = ChatChannel
        fields = [
            "id",
            "name",
            "support_group",
            "support_group_name",
            "platform",
            "homeserver",
            "room_id",
            "secret_hint",
            "events",
            "language",
            "is_enabled",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChatChannelWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """POST and PUT send every field (a blank or absent secret keeps the stored one on a
    change); PATCH sends only those that change."""

    # Each field but `secret` is the channel's attribute of that name: a PATCH fills in what it
    # leaves out from them (chat.api.views).

    name = serializers.CharField(max_length=120)
    support_group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all())
    platform = serializers.ChoiceField(choices=Platform.choices)
    homeserver = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    room_id = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    # Write-only: the webhook URL (Slack, Teams) or the access token (Matrix). Blank on a
    # change keeps the stored one.
    secret = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        write_only=True,
        trim_whitespace=True,
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_EVENTS), allow_empty=False
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    is_enabled = serializers.BooleanField(default=True)


class ChatDeliverySerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = ChatDelivery
        fields = [
            "id",
            "channel",
            "event",
            "event_key",
            "ticket",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields
