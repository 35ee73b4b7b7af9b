from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Role, User
from escalation.models import (
    POSITION_MAX,
    CallMedium,
    OnCallShift,
    RoutingRule,
    ScheduledCall,
    SupportGroup,
    Tier,
)
from helpdesk.date_bounds import BoundedDateTimeSerializerField
from helpdesk.serializers import KnownFieldsOnlyMixin
from tickets.api.serializers import UserRefSerializer
from tickets.models import Category, Kind, Priority

AGENTS = User.objects.filter(role=Role.AGENT)


class SupportGroupSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    lead = UserRefSerializer(read_only=True, allow_null=True)
    members = UserRefSerializer(many=True, read_only=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "name", "tier", "lead", "members", "created_at", "updated_at"]
        read_only_fields = fields


class SupportGroupWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    tier = serializers.ChoiceField(choices=Tier.choices)
    lead = serializers.PrimaryKeyRelatedField(
        queryset=AGENTS, required=False, allow_null=True, default=None
    )
    members = serializers.PrimaryKeyRelatedField(
        queryset=AGENTS, many=True, required=False, default=list
    )


class OnCallShiftSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    agent = UserRefSerializer(read_only=True)

    class Meta:
        model = OnCallShift
        fields = ["id", "agent", "tier", "starts_at", "ends_at", "note"]
        read_only_fields = fields


class OnCallShiftWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    agent = serializers.PrimaryKeyRelatedField(queryset=AGENTS)
    tier = serializers.ChoiceField(choices=Tier.choices, default=Tier.L3)
    starts_at = BoundedDateTimeSerializerField()
    ends_at = BoundedDateTimeSerializerField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OnCallQuerySerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, default=Tier.L3)
    at = BoundedDateTimeSerializerField(required=False, help_text=_("Default: now."))


class RoutingRuleSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    # Empty: the rule matches any kind.
    kind = serializers.ChoiceField(choices=Kind.choices, allow_blank=True, read_only=True)

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "position",
            "is_active",
            "category",
            "kind",
            "priority",
            "target_tier",
            "target_group",
        ]
        read_only_fields = fields


class RoutingRuleWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    name = serializers.CharField(max_length=120)
    position = serializers.IntegerField(min_value=0, max_value=POSITION_MAX, default=100)
    is_active = serializers.BooleanField(default=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    kind = serializers.ChoiceField(
        choices=Kind.choices, required=False, allow_blank=True, default=""
    )
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False, allow_null=True, default=None
    )
    target_tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, allow_null=True, default=None
    )
    target_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True, default=None
    )


class CallSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """What the requester sees of a call: never the internal notes."""

    ends_at = serializers.DateTimeField(read_only=True)
    organiser = UserRefSerializer(read_only=True)

    class Meta:
        model = ScheduledCall
        fields = [
            "id",
            "ticket",
            "organiser",
            "starts_at",
            "ends_at",
            "duration_minutes",
            "medium",
            "link_or_number",
            "status",
            "sequence",
        ]
        read_only_fields = fields


class CallStaffSerializer(CallSerializer):
    class Meta(CallSerializer.Meta):
        fields = [*CallSerializer.Meta.fields, "notes", "hold_until_call", "hold_released_at"]
        read_only_fields = fields


class CallScheduleSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    starts_at = BoundedDateTimeSerializerField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, default=30)
    medium = serializers.ChoiceField(choices=CallMedium.choices)
    link_or_number = serializers.CharField(max_length=500)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    hold_until_call = serializers.BooleanField(default=False)


class CallRescheduleSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    starts_at = BoundedDateTimeSerializerField()
    duration_minutes = serializers.IntegerField(
        min_value=5, max_value=480, required=False, allow_null=True, default=None
    )
    medium = serializers.ChoiceField(
        choices=CallMedium.choices, required=False, allow_null=True, default=None
    )
    link_or_number = serializers.CharField(
        max_length=500, required=False, allow_null=True, default=None
    )
    notes = serializers.CharField(
        max_length=5000, required=False, allow_null=True, allow_blank=True, default=None
    )


class CallCancelSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TimeInTierSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    seconds_by_tier = serializers.DictField(child=serializers.FloatField())
    first_contact_resolution = serializers.BooleanField()
