"""The shapes monitoring systems send. Validation only: the services decide what happens."""

from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from integrations.models import AlertStatus

# Alertmanager's "not set" time is 0001-01-01T00:00:00Z; anything before this means unset.
EPOCH = datetime(1970, 1, 2, tzinfo=UTC)
MAX_ALERTS = 1000


class TimestampField(serializers.CharField):
    """An RFC 3339 time (nanoseconds allowed, as Go writes them); a zero time is None."""

    def to_internal_value(self, data: Any) -> datetime | None:  # type: ignore[override]
        text = super().to_internal_value(data)
        if not text:
            return None
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            raise serializers.ValidationError(_("Not an RFC 3339 date and time."))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            # Stored and compared in UTC: 9999-12-31T23:59:59-23:00 is past year 9999 there
            # (the delivery was a 500, and Alertmanager retried it forever).
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise serializers.ValidationError(_("This date and time is out of range.")) from None
        return None if moment < EPOCH else moment


class LabelsField(serializers.DictField):
    child = serializers.CharField(allow_blank=True, max_length=4000)


class AlertmanagerAlertSerializer(serializers.Serializer):
    # Field names are Alertmanager's (camelCase).
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    labels = LabelsField(allow_empty=False)
    annotations = LabelsField(required=False, default=dict)
    startsAt = TimestampField()
    endsAt = TimestampField(required=False, allow_blank=True, allow_null=True)
    generatorURL = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )
    fingerprint = serializers.CharField(max_length=255)

    def validate_startsAt(self, value: datetime | None) -> datetime:
        if value is None:
            raise serializers.ValidationError(_("A start time is required."))
        return value


class AlertmanagerWebhookSerializer(serializers.Serializer):
    """Alertmanager's webhook payload, version 4."""

    version = serializers.CharField(required=False)
    groupKey = serializers.CharField(required=False, allow_blank=True)
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0)
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    receiver = serializers.CharField(required=False, allow_blank=True)
    groupLabels = LabelsField(required=False)
    commonLabels = LabelsField(required=False)
    commonAnnotations = LabelsField(required=False)
    externalURL = serializers.CharField(required=False, allow_blank=True)
    alerts = AlertmanagerAlertSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_ALERTS,  # type: ignore[call-arg]  # ListSerializer takes it; stubs lag
    )

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError(_("Only version 4 of the webhook is supported."))
        return value


class EventPayloadSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=1024)
    severity = serializers.ChoiceField(choices=["critical", "error", "warning", "info"])
    timestamp = TimestampField(required=False, allow_blank=True)
    component = serializers.CharField(required=False, allow_blank=True, max_length=255)
    group = serializers.CharField(required=False, allow_blank=True, max_length=255)
    custom_details = serializers.JSONField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "source" would shadow Field.source and "class" is a keyword: declared here instead.
        fields["source"] = serializers.CharField(max_length=255)
        fields["class"] = serializers.CharField(required=False, allow_blank=True, max_length=255)
        return fields


class EventsV2Serializer(serializers.Serializer):
    """A generic event, shaped like PagerDuty's Events API v2."""

    routing_key = serializers.CharField(max_length=200)
    event_action = serializers.ChoiceField(choices=["trigger", "acknowledge", "resolve"])
    dedup_key = serializers.CharField(required=False, allow_blank=True, max_length=255)
    payload = EventPayloadSerializer(required=False)
    client = serializers.CharField(required=False, allow_blank=True)
    client_url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    links = serializers.JSONField(required=False)
    images = serializers.JSONField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["event_action"] == "trigger" and not attrs.get("payload"):
            raise serializers.ValidationError({"payload": [_("A trigger needs a payload.")]})
        return attrs


class AlertResultSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[
            "opened",
            "repeated",
            "flapped",
            "continued",
            "resolved",
            "noted",
            "acknowledged",
            "ignored",
        ]
    )
    ticket = serializers.CharField(allow_null=True, help_text="The incident's reference")


class AlertmanagerResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    alerts = AlertResultSerializer(many=True)


class EventResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    dedup_key = serializers.CharField()
    outcome = serializers.CharField()
    ticket = serializers.CharField(allow_null=True)
