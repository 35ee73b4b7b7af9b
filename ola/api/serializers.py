from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin
from ola.models import OlaTarget


class OlaTargetSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """Durations as `HH:MM:SS` or `D HH:MM:SS`; either may be null (no such clock)."""

    class Meta:
        model = OlaTarget
        fields = [
            "id",
            "tier",
            "priority",
            "take_within",
            "handoff_within",
            "calendar",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The service checks what the table's constraints would (a 400 with a message).
        validators: list[object] = []


class OlaClockSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """One OLA clock as the ticket's representation carries it (support staff only)."""

    tier = serializers.IntegerField()
    metric = serializers.CharField()
    cycle = serializers.IntegerField()
    state = serializers.CharField()
    priority = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField(allow_null=True)
    target_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField(allow_null=True)
    breached = serializers.BooleanField()
    at_risk = serializers.BooleanField()
