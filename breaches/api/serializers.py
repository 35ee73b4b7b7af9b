from typing import Any

from rest_framework import serializers

from breaches.models import (
    EDITABLE_FIELDS,
    AuthorityNotification,
    Breach,
    BreachAttachment,
    BreachAuditEntry,
    BreachClockEvent,
    BreachNote,
    SubjectsDecision,
    SubjectsExemption,
)
from helpdesk.date_bounds import BoundedDateTimeSerializerField
from helpdesk.serializers import KnownFieldsOnlyMixin
from tickets.api.serializers import LimitedCharField, UserRefSerializer
from tickets.models_choices import TEXT_MAX_LENGTH


class BreachListSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    reporter = UserRefSerializer(read_only=True)
    nature = serializers.ListField(child=serializers.CharField(), source="nature_labels")
    first_notified_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Breach
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "reporter",
            "aware_at",
            "notify_due_at",
            "clock_stopped_at",
            "clock_level",
            "nature",
            "risk_level",
            "authority_decision",
            "first_notified_at",
            "subjects_decision",
            "created_at",
        ]


class TicketRefSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


class AuthorityNotificationSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = AuthorityNotification
        fields = [
            "id",
            "phase",
            "notified_at",
            "authority",
            "reference",
            "summary",
            "recorded_by",
            "created_at",
        ]


class ClockEventSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = BreachClockEvent
        fields = ["threshold_hours", "due_at", "recorded_at"]


class BreachDetailSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    reporter = UserRefSerializer(read_only=True)
    tickets = TicketRefSerializer(many=True, read_only=True)
    authority_notifications = AuthorityNotificationSerializer(many=True, read_only=True)
    clock_events = ClockEventSerializer(many=True, read_only=True)
    version = serializers.IntegerField(
        read_only=True,
        help_text="The record's version (also the ETag): send it as If-Match when you change "
        "it, so that a field someone else changed since is not silently overwritten.",
    )

    class Meta:
        model = Breach
        fields = [
            "id",
            "reference",
            "version",
            "reporter",
            *EDITABLE_FIELDS,
            "tickets",
            "notify_due_at",
            "clock_level",
            "clock_stopped_at",
            "clock_events",
            "authority_decision",
            "authority_decision_reason",
            "late_reason",
            "authority_notifications",
            "subjects_decision",
            "subjects_exemption",
            "subjects_decision_reason",
            "subjects_communicated_at",
            "subjects_communication",
            "created_at",
            "updated_at",
        ]


class BreachUpdateSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """The editable register fields; validation of the rules is in the service."""

    class Meta:
        model = Breach
        fields = EDITABLE_FIELDS
        extra_kwargs = {"aware_at": {"required": False}}


def field_values(values: dict[str, Any]) -> dict[str, Any]:
    """Register values as the API writes them (times in ISO 8601)."""
    fields = BreachUpdateSerializer().fields
    return {
        name: None if value is None else fields[name].to_representation(value)
        for name, value in values.items()
    }


class BreachChangedSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """A change refused because someone else changed the same fields since the If-Match
    version: nothing was saved. Send it again with `version` to replace their values."""

    message = serializers.CharField()
    version = serializers.IntegerField()
    current = serializers.DictField(help_text="What they saved, field by field.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: a class attribute named `errors` would shadow Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        )
        return fields


class BreachCreateSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    aware_at = BoundedDateTimeSerializerField(required=False, allow_null=True, default=None)
    detected_at = BoundedDateTimeSerializerField(required=False, allow_null=True, default=None)


class FlagSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket = serializers.IntegerField()
    description = LimitedCharField(max_length=TEXT_MAX_LENGTH, allow_blank=True)


class TicketLinkSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket = serializers.IntegerField()


class NotifyAuthoritySerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    notified_at = BoundedDateTimeSerializerField()
    authority = serializers.CharField(max_length=200, required=False, default="AEPD")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    late_reason = serializers.CharField(required=False, allow_blank=True, default="")


class NotNotifyingSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class SubjectsDecisionSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    decision = serializers.ChoiceField(choices=SubjectsDecision.choices)
    exemption = serializers.ChoiceField(
        choices=SubjectsExemption.choices, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SubjectsCommunicationSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    communicated_at = BoundedDateTimeSerializerField()
    communication = serializers.CharField(allow_blank=True)


class NoteSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = BreachNote
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class EvidenceSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = BreachAttachment
        fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "uploaded_by",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, obj: BreachAttachment) -> str:
        return f"/breaches/{obj.breach_id}/evidence/{obj.pk}/"


class AuditEntrySerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = BreachAuditEntry
        fields = ["id", "actor", "created_at", "action", "changes"]
