from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
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
        form, period, filters, categories = parse_dashboard_query(request.query_params)
        if form.is_bound and not form.is_valid():
            # An error of no one field (a custom period without its end) is the API's
            # non_field_errors; its message read "__all__: A custom period needs…".
            errors = {
                ("non_field_errors" if field == NON_FIELD_ERRORS else field): [str(e) for e in es]
                for field, es in form.errors.items()
            }
            if NON_FIELD_ERRORS in form.errors:
                return Response(
                    {"message": str(form.errors[NON_FIELD_ERRORS][0]), "errors": errors},
                    status=400,
                )
            raise serializers.ValidationError(errors)
        board = dashboard(period=period, filters=filters, categories=categories)
        return Response(DashboardSerializer(board).data)


class QueueHealthView(APIView):
    """Each agent's open queue: at risk, breached, waiting on the requester. Agents get
    their own row; managers every agent's."""

    permission_classes = [IsAgentOrManager]

    @extend_schema(responses=QueueHealthSerializer(many=True))
    def get(self, request: Request) -> Response:
        # `?agent=3` (the page's filter) answered every agent's row as if it were agent 3's.
        refuse_unknown_parameters(
            request,
            paged=False,
            message=_("“%(name)s” is not a parameter of the queue health API: it takes none."),
        )
        agents = agents_for_health(user=request.user)  # type: ignore[arg-type]
        return Response(QueueHealthSerializer(queue_health(agents=agents), many=True).data)
