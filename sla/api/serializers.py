from rest_framework import serializers

from sla.models import Calendar, SlaPolicy, SlaTarget


class SlaTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaTarget
        fields = ["priority", "first_response", "next_response", "resolution"]
        # Uniqueness per policy is checked by the service (the policy is not known here).
        validators: list[object] = []


class SlaPolicySerializer(serializers.ModelSerializer):
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


class CalendarSerializer(serializers.ModelSerializer):
    hours = serializers.SerializerMethodField()
    holidays = serializers.SerializerMethodField()

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "hours", "holidays"]
        read_only_fields = fields

    def get_hours(self, calendar: Calendar) -> list[dict[str, object]]:
        return [
            {"weekday": h.weekday, "opens": h.opens, "closes": h.closes}
            for h in calendar.hours.all()
        ]

    def get_holidays(self, calendar: Calendar) -> list[dict[str, object]]:
        return [{"date": h.date, "name": h.name} for h in calendar.holidays.all()]
