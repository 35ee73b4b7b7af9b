"""The dashboard's figures as JSON: read-only serializers over the selector's dataclasses
(durations in seconds, percentages 0–100 or null when nothing was measured)."""

from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin


class PeriodSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    key = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    bucket = serializers.ChoiceField(choices=["day", "week"])


class FiltersSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    kind = serializers.CharField()
    priority = serializers.IntegerField(allow_null=True)
    tier = serializers.IntegerField(allow_null=True)
    category = serializers.IntegerField(source="category_id", allow_null=True)
    group = serializers.IntegerField(source="group_id", allow_null=True)


class DistributionSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    count = serializers.IntegerField()
    mean_seconds = serializers.FloatField(source="mean", allow_null=True)
    median_seconds = serializers.FloatField(source="median", allow_null=True)
    p90_seconds = serializers.FloatField(source="p90", allow_null=True)


class RatioSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class ComplianceSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    decided = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class ComplianceByMetricSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    # Keyed by sla.models.Metric values.
    first_response = ComplianceSerializer()
    next_response = ComplianceSerializer()
    resolution = ComplianceSerializer()


class ComplianceRowSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]
    by_metric = serializers.DictField(child=ComplianceSerializer())
    total = ComplianceSerializer()


class HistogramBinSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    low_hours = serializers.IntegerField()
    high_hours = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()


class TrendPointSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    start = serializers.DateField()
    created = serializers.IntegerField()
    resolved = serializers.IntegerField()
    mttr_mean_seconds = serializers.FloatField(source="mttr_mean", allow_null=True)
    first_response_mean_seconds = serializers.FloatField(
        source="first_response_mean", allow_null=True
    )
    met = serializers.IntegerField()
    breached = serializers.IntegerField()


class AtRiskSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket_id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.IntegerField()
    tier = serializers.IntegerField()
    metric = serializers.CharField()
    due_at = serializers.DateTimeField()
    paused = serializers.BooleanField()


class BacklogCellSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    state = serializers.CharField()
    tier = serializers.IntegerField()
    count = serializers.IntegerField()


class DashboardSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    period = PeriodSerializer()
    filters = FiltersSerializer()
    now = serializers.DateTimeField()
    first_response = DistributionSerializer()
    resolution = DistributionSerializer(help_text="Time to resolve; mean = MTTR.")
    mttr_goal_seconds = serializers.FloatField()
    mttr_goal_met = serializers.BooleanField(allow_null=True)
    histogram = HistogramBinSerializer(many=True)
    escalation_rate = RatioSerializer(source="escalation")
    first_contact_resolution = RatioSerializer(source="first_contact")
    reopen_rate = RatioSerializer(source="reopen")
    compliance = ComplianceByMetricSerializer()
    compliance_total = ComplianceSerializer()
    by_priority = ComplianceRowSerializer(many=True)
    by_tier = ComplianceRowSerializer(many=True)
    by_category = ComplianceRowSerializer(many=True)
    breaches = serializers.IntegerField()
    at_risk_count = serializers.IntegerField()
    at_risk = AtRiskSerializer(many=True)
    backlog = BacklogCellSerializer(many=True, source="backlog.cells")
    trend = TrendPointSerializer(many=True)


class QueueHealthSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    agent_id = serializers.IntegerField(source="agent.pk")
    agent = serializers.CharField(source="agent.name")
    agent_is_active = serializers.BooleanField(
        source="agent.is_active",
        help_text="False for a deactivated agent still holding open tickets (listed to managers).",
    )
    open = serializers.IntegerField()
    at_risk = serializers.IntegerField()
    breached = serializers.IntegerField()
    waiting_on_requester = serializers.IntegerField(source="waiting")
