from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin
from sla.models import Calendar, CalendarHours, Holiday, SlaPolicy, SlaTarget


class SlaTargetSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["priority", "first_response", "next_response", "resolution"]
        # Uniqueness per policy is checked by the service (the policy is not known here).
        validators: list[object] = []


class SlaPolicySerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    targets = SlaTargetSerializer(many=True, required=False)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=Calendar.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "kind",
            "category",
            "organisation",
            "calendar",
            "escalate_on_breach",
            "targets",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, object]] = {
            "name": {"validators": []}
        }  # the service reports a duplicate name


class CalendarHoursSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = CalendarHours
        fields = ["weekday", "opens", "closes"]


class HolidaySerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["date", "name"]


class CalendarSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    hours = CalendarHoursSerializer(many=True, read_only=True)
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "hours", "holidays"]
        read_only_fields = fields
