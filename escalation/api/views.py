from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from escalation import selectors, services
from escalation.api import serializers as s
from escalation.models import OnCallShift, RoutingRule, ScheduledCall, SupportGroup
from helpdesk.ids import parse_id
from tickets.api.views import ERRORS
from tickets.selectors import ticket_get_for_user


class StaffReadsManagersWrite(permissions.BasePermission):
    """Support staff read the configuration; only managers change it (the services check too)."""

    message = _("Only managers can change this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user: User = request.user  # type: ignore[assignment]
        if not (user.is_authenticated and user.is_staff_member):
            self.message = _("Only support staff can see this.")
            return False
        return request.method in permissions.SAFE_METHODS or user.is_manager


class _ConfigViewSet(viewsets.ViewSet):
    lookup_value_regex = "[0-9]+"  # also types the path parameter in the schema
    permission_classes = [permissions.IsAuthenticated, StaffReadsManagersWrite]
    read_serializer: type[Any]
    write_serializer: type[Any]

    def queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def save(self, *, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def list(self, request: Request) -> Response:
        return Response(self.read_serializer(self.queryset(), many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.read_serializer(self._get(pk)).data)

    def create(self, request: Request) -> Response:
        data = self.write_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        instance = self.save(instance=None, data=dict(data.validated_data))
        return Response(self.read_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        instance = self._get(pk)
        data = self.write_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        instance = self.save(instance=instance, data=dict(data.validated_data))
        return Response(self.read_serializer(instance).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        """Change only the fields sent; the others keep their current values."""
        instance = self._get(pk)
        current = self.write_serializer(instance).data
        data = self.write_serializer(data=_with_current(request.data, current))
        data.is_valid(raise_exception=True)
        instance = self.save(instance=instance, data=dict(data.validated_data))
        return Response(self.read_serializer(instance).data)

    def _get(self, pk: str) -> Any:
        number = parse_id(pk)
        if number is None:
            raise Http404
        return get_object_or_404(self.queryset(), pk=number)


def _with_current(sent: Any, current: Mapping[str, Any]) -> Any:
    """The body of a PATCH completed with the object's current values for the fields it leaves
    out, so the usual checks see the whole object (a shift's end against its start)."""
    if isinstance(sent, QueryDict):  # a form-encoded body: lists stay lists
        merged = sent.copy()
        for key, value in current.items():
            if key not in merged and value is not None:
                merged.setlist(key, value if isinstance(value, list) else [value])
        return merged
    if isinstance(sent, Mapping):
        return {**current, **sent}
    return sent  # not an object: the serializer refuses it with a 400


def _config_schema(read: Any, *, destroy: bool) -> Any:
    """A config viewset creates with 201 and deletes with 204 (the class default says 200)."""
    methods = {"create": extend_schema(responses={201: read, **ERRORS})}
    if destroy:
        methods["destroy"] = extend_schema(responses={204: None, **ERRORS})
    return extend_schema_view(**methods)


@_config_schema(s.SupportGroupSerializer, destroy=False)
@extend_schema(
    request=s.SupportGroupWriteSerializer,
    responses={200: s.SupportGroupSerializer, **ERRORS},
)
class SupportGroupViewSet(_ConfigViewSet):
    read_serializer = s.SupportGroupSerializer
    write_serializer = s.SupportGroupWriteSerializer

    def queryset(self) -> QuerySet[SupportGroup]:
        return selectors.support_group_list()

    def save(self, *, instance: SupportGroup | None, data: dict[str, Any]) -> SupportGroup:
        group = services.support_group_save(actor=self.request.user, group=instance, **data)  # type: ignore[arg-type]
        return selectors.support_group_list().get(pk=group.pk)


@_config_schema(s.OnCallShiftSerializer, destroy=True)
@extend_schema(
    request=s.OnCallShiftWriteSerializer,
    responses={200: s.OnCallShiftSerializer, **ERRORS},
)
class OnCallShiftViewSet(_ConfigViewSet):
    """The rota: shifts that have not ended yet (list), editable by managers."""

    read_serializer = s.OnCallShiftSerializer
    write_serializer = s.OnCallShiftWriteSerializer

    def queryset(self) -> QuerySet[OnCallShift]:
        if self.action == "list":
            return selectors.oncall_shift_list()
        return OnCallShift.objects.select_related("agent")

    def save(self, *, instance: OnCallShift | None, data: dict[str, Any]) -> OnCallShift:
        return services.oncall_shift_save(actor=self.request.user, shift=instance, **data)  # type: ignore[arg-type]

    def destroy(self, request: Request, pk: str) -> Response:
        services.oncall_shift_delete(actor=request.user, shift=self._get(pk))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[s.OnCallQuerySerializer],
        request=None,
        responses={200: s.UserRefSerializer(many=True), **ERRORS},
        description="Who is on call for a tier at an instant (default: L3, now).",
    )
    @action(detail=False, methods=["get"])
    def now(self, request: Request) -> Response:
        query = s.OnCallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agents = selectors.oncall_agents(
            tier=int(query.validated_data["tier"]),
            at=query.validated_data.get("at") or timezone.now(),
        )
        return Response(s.UserRefSerializer(agents, many=True).data)


@_config_schema(s.RoutingRuleSerializer, destroy=True)
@extend_schema(
    request=s.RoutingRuleWriteSerializer,
    responses={200: s.RoutingRuleSerializer, **ERRORS},
)
class RoutingRuleViewSet(_ConfigViewSet):
    read_serializer = s.RoutingRuleSerializer
    write_serializer = s.RoutingRuleWriteSerializer

    def queryset(self) -> QuerySet[RoutingRule]:
        return selectors.routing_rule_list()

    def save(self, *, instance: RoutingRule | None, data: dict[str, Any]) -> RoutingRule:
        for key in ("priority", "target_tier"):
            if data.get(key) is not None:
                data[key] = int(data[key])
        return services.routing_rule_save(actor=self.request.user, rule=instance, **data)  # type: ignore[arg-type]

    def destroy(self, request: Request, pk: str) -> Response:
        services.routing_rule_delete(actor=request.user, rule=self._get(pk))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _call_data(call: ScheduledCall, user: User) -> dict[str, Any]:
    serializer = s.CallStaffSerializer if user.is_staff_member else s.CallSerializer
    return serializer(call).data  # type: ignore[return-value]


class TicketCallsView(APIView):
    """A ticket's calls (GET, anyone who may read the ticket) and booking one (POST, L2/L3)."""

    @extend_schema(responses={200: s.CallStaffSerializer(many=True), **ERRORS})
    def get(self, request: Request, ticket_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
        return Response([_call_data(c, user) for c in selectors.ticket_calls(ticket=ticket)])

    @extend_schema(
        request=s.CallScheduleSerializer, responses={201: s.CallStaffSerializer, **ERRORS}
    )
    def post(self, request: Request, ticket_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
        data = s.CallScheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_schedule(ticket=ticket, actor=user, **data.validated_data)
        return Response(_call_data(call, user), status=status.HTTP_201_CREATED)


class CallViewSet(viewsets.ViewSet):
    lookup_value_regex = "[0-9]+"  # also types the path parameter in the schema

    @extend_schema(responses={200: s.CallStaffSerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(_call_data(selectors.call_get_for_user(user=user, call_id=pk), user))  # type: ignore[arg-type]

    @extend_schema(
        request=s.CallRescheduleSerializer, responses={200: s.CallStaffSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        call = selectors.call_get_for_user(user=user, call_id=pk)  # type: ignore[arg-type]
        data = s.CallRescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_reschedule(call=call, actor=user, **data.validated_data)
        return Response(_call_data(call, user))

    @extend_schema(request=s.CallCancelSerializer, responses={200: s.CallStaffSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        call = selectors.call_get_for_user(user=user, call_id=pk)  # type: ignore[arg-type]
        data = s.CallCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_cancel(call=call, actor=user, reason=data.validated_data["reason"])
        return Response(_call_data(call, user))


class TicketTimeInTierView(APIView):
    """Seconds spent per tier and whether it was a first-contact resolution (support staff)."""

    @extend_schema(responses={200: s.TimeInTierSerializer, **ERRORS})
    def get(self, request: Request, ticket_id: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
        if not user.is_staff_member:
            raise PermissionDenied(_("Only support staff can see this."))
        seconds = selectors.time_in_tier(ticket=ticket)
        return Response(
            {
                "seconds_by_tier": {str(tier): value for tier, value in seconds.items()},
                "first_contact_resolution": selectors.is_first_contact_resolution(ticket),
            }
        )
