from rest_framework import serializers

from helpdesk.date_bounds import BoundedDateTimeSerializerField
from helpdesk.serializers import KnownFieldsOnlyMixin
from incidents.models import IncidentStatus, MajorIncident, MajorIncidentLink, StatusUpdate
from tickets.api.serializers import LimitedCharField
from tickets.models_choices import TEXT_MAX_LENGTH


class StatusUpdateSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    author = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "status",
            "message",
            "message_es",
            "author",
            "created_at",
            "next_update_due_at",
        ]
        read_only_fields = fields


class LinkSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference", read_only=True)

    class Meta:
        model = MajorIncidentLink
        fields = ["ticket", "reference", "created_at", "followed_at", "follow_outcome"]
        read_only_fields = fields


class MajorIncidentSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(source="ticket.reference", read_only=True)
    owner = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = MajorIncident
        fields = [
            "id",
            "ticket",
            "reference",
            "public_title",
            "public_title_es",
            "public_summary",
            "public_summary_es",
            "affected_services",
            "status",
            "owner",
            "started_at",
            "resolved_at",
            "next_update_due_at",
        ]
        read_only_fields = fields


class DeclareSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket = serializers.IntegerField()
    public_title = serializers.CharField(max_length=200)
    public_title_es = serializers.CharField(max_length=200, required=False, default="")
    # The public texts, as long as a ticket's (a 200 KB update went to every requester).
    public_summary = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    public_summary_es = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    affected_services = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True
    )
    message = LimitedCharField(max_length=TEXT_MAX_LENGTH)
    message_es = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    next_update_due_at = BoundedDateTimeSerializerField()


class PostUpdateSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    message = LimitedCharField(max_length=TEXT_MAX_LENGTH)
    message_es = LimitedCharField(
        max_length=TEXT_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    next_update_due_at = BoundedDateTimeSerializerField(
        required=False, allow_null=True, default=None
    )


class LinkTicketSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket = serializers.IntegerField()
