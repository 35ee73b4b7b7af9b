from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from incidents import services
from incidents.api import serializers as s
from incidents.models import MajorIncident
from incidents.selectors import (
    major_incident_get_for_user,
    major_incident_links,
    major_incident_updates,
    major_incidents_for_staff,
)
from tickets.selectors import ticket_get_for_user


class MajorIncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Major incidents (agents and managers read; agents declare, link and post updates)."""

    serializer_class = s.MajorIncidentSerializer

    def _user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_queryset(self) -> QuerySet[MajorIncident]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return MajorIncident.objects.none()
        return major_incidents_for_staff(user=self._user())

    def get_object(self) -> MajorIncident:
        return major_incident_get_for_user(user=self._user(), incident_id=self.kwargs["pk"])

    def _require_agent(self) -> None:
        if not self._user().is_agent:
            raise PermissionDenied

    @extend_schema(request=s.DeclareSerializer, responses={201: s.MajorIncidentSerializer})
    def create(self, request: Request) -> Response:
        user = self._user()
        major_incidents_for_staff(user=user)  # 404 for non-staff
        data = s.DeclareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        ticket = ticket_get_for_user(user=user, ticket_id=fields.pop("ticket"))
        incident = services.major_incident_declare(ticket=ticket, actor=user, **fields)
        return Response(s.MajorIncidentSerializer(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PostUpdateSerializer, responses={201: s.StatusUpdateSerializer})
    @action(detail=True, methods=["get", "post"])
    def updates(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            updates = major_incident_updates(incident=incident)
            return Response(s.StatusUpdateSerializer(updates, many=True).data)
        services.major_incident_require_open(incident=incident)  # a 409 before a 400
        data = s.PostUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.status_update_post(
            incident=incident, actor=self._user(), **data.validated_data
        )
        return Response(s.StatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LinkTicketSerializer, responses={201: s.LinkSerializer})
    @action(detail=True, methods=["get", "post"])
    def links(self, request: Request, pk: str) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            return Response(
                s.LinkSerializer(major_incident_links(incident=incident), many=True).data
            )
        services.major_incident_require_open(incident=incident)
        data = s.LinkTicketSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_get_for_user(user=self._user(), ticket_id=data.validated_data["ticket"])
        link = services.major_incident_link(incident=incident, ticket=ticket, actor=self._user())
        return Response(s.LinkSerializer(link).data, status=status.HTTP_201_CREATED)
