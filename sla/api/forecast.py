"""The breach forecast as JSON: GET /api/sla/forecast/?hours=4 (&source=sla|ola, default both;
&tier=1|2|3; &cursor= for the next page; any other parameter is a 400). Managers see every
tier, tier leads their groups' tiers; anyone else 403."""

from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.serializers import KnownFieldsOnlyMixin
from sla.forecast import (
    DEFAULT_WINDOW_HOURS,
    SOURCE_NAMES,
    WINDOW_HOURS,
    forecast,
    forecast_scope_for,
)
from sla.forms import ForecastForm


class ForecastItemSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    kind = serializers.CharField(
        source="source", help_text="Which kind of clock: `sla` or `ola` (a tier's OLA clock)."
    )
    clock_id = serializers.IntegerField()
    metric = serializers.CharField(
        help_text="`first_response`, `next_response`, `resolution` (SLA); `take`, `handoff` (OLA)."
    )
    clock = serializers.CharField(
        source="label", help_text="The clock's name, in the reader's language."
    )
    due_at = serializers.DateTimeField()
    seconds_left = serializers.IntegerField()
    ticket_id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.IntegerField()
    tier = serializers.IntegerField()
    group = serializers.CharField(help_text="Empty when the ticket has no group.")
    assignee = serializers.CharField(help_text="Empty when unassigned.")


class ForecastRowSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    key = serializers.IntegerField(
        allow_null=True, help_text="Tier, group or agent id; null: no group / unassigned."
    )
    name = serializers.CharField(source="label")
    count = serializers.IntegerField(help_text="Clocks due in the window.")
    load = serializers.IntegerField(
        allow_null=True, help_text="Assignee rows: the agent's open tickets; else null."
    )


class ForecastSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    hours = serializers.IntegerField()
    now = serializers.DateTimeField()
    until = serializers.DateTimeField()
    sources = serializers.ListField(
        child=serializers.CharField(), help_text="The kinds of clock read: `sla`, `ola`."
    )
    total = serializers.IntegerField(help_text="Running clocks due in (now, until].")
    by_source = serializers.DictField(
        child=serializers.IntegerField(), help_text="`total` by kind of clock."
    )
    overdue = serializers.IntegerField(
        help_text="Running clocks that fell due in the last `hours` (breached, not forecast)."
    )
    by_tier = ForecastRowSerializer(many=True)
    by_group = ForecastRowSerializer(many=True)
    by_assignee = ForecastRowSerializer(many=True)
    items = ForecastItemSerializer(many=True, help_text="One page, soonest first.")
    more = serializers.IntegerField(help_text="Clocks of the window after this page.")
    next_cursor = serializers.CharField(allow_null=True)


DENIED = _lazy("Only managers and tier leads can see the breach forecast.")


class ForecastView(APIView):
    """Clocks that will breach in the next `hours` if nothing happens, grouped by tier, group
    and assignee (with each agent's open tickets), and one page of them soonest first."""

    # Who may read, and what, is one question (forecast_scope_for), asked once in `get`.
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "hours",
                int,
                enum=list(WINDOW_HOURS),
                description=f"The window (default {DEFAULT_WINDOW_HOURS}).",
            ),
            OpenApiParameter(
                "source",
                str,
                enum=list(SOURCE_NAMES),
                description="Only SLA or only OLA clocks (default: both).",
            ),
            OpenApiParameter(
                "tier",
                int,
                enum=[1, 2, 3],
                description="Only this tier's tickets (default: every tier you see; a tier "
                "lead may choose only the tiers of the groups they lead).",
            ),
            OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
        ],
        responses=ForecastSerializer,
    )
    def get(self, request: Request) -> Response:
        scope = forecast_scope_for(user=request.user)  # type: ignore[arg-type]
        if scope is None:
            raise PermissionDenied(DENIED)
        form = ForecastForm(request.query_params, scope=scope)
        if not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(e) for e in errors] for field, errors in form.errors.items()}
            )
        board = forecast(
            hours=form.hours_or_default(),
            scope=form.chosen_scope(),
            cursor=form.cleaned_data["cursor"],
            sources=form.sources(),
        )
        return Response(ForecastSerializer(board).data)
