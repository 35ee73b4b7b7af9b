from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from helpdesk.api import refuse_unknown_parameters
from reports.api.serializers import DashboardSerializer, QueueHealthSerializer
from reports.forms import PERIODS
from reports.selectors import agents_for_health, dashboard, queue_health
from reports.views import parse_dashboard_query


class IsManager(BasePermission):
    message = _lazy("Only managers can see the SLA dashboard.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.role == Role.MANAGER)


class IsAgentOrManager(BasePermission):
    message = _lazy("Only agents and managers can see queue health.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.role in (Role.AGENT, Role.MANAGER))


DASHBOARD_PARAMETERS = [
    OpenApiParameter("period", str, enum=[key for key, _label in PERIODS]),
    OpenApiParameter("start", OpenApiTypes.DATE, description="With period=custom."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="With period=custom (inclusive)."),
    OpenApiParameter("kind", str),
    OpenApiParameter("priority", int),
    OpenApiParameter("tier", int),
    OpenApiParameter("category", int, description="A category and its subcategories."),
    OpenApiParameter("group", int, description="Support group."),
]


class DashboardView(APIView):
    """The SLA dashboard's figures (DESIGN.md, "Metrics"), as on the page."""

    permission_classes = [IsManager]

    @extend_schema(parameters=DASHBOARD_PARAMETERS, responses=DashboardSerializer)
    def get(self, request: Request) -> Response:
        # A misspelled filter would answer with everyone's figures as if they were the filtered.
        refuse_unknown_parameters(request, takes=[p.name for p in DASHBOARD_PARAMETERS])
        form, period, filters, categories = parse_dashboard_query(request.query_params)
        if form.is_bound and not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(e) for e in errors] for field, errors in form.errors.items()}
            )
        board = dashboard(period=period, filters=filters, categories=categories)
        return Response(DashboardSerializer(board).data)


class QueueHealthView(APIView):
    """Each agent's open queue: at risk, breached, waiting on the requester. Agents get
    their own row; managers every agent's."""

    permission_classes = [IsAgentOrManager]

    @extend_schema(responses=QueueHealthSerializer(many=True))
    def get(self, request: Request) -> Response:
        agents = agents_for_health(user=request.user)  # type: ignore[arg-type]
        return Response(QueueHealthSerializer(queue_health(agents=agents), many=True).data)
