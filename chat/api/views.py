from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from chat import selectors, services
from chat.api import serializers as s
from chat.models import ChatChannel
from helpdesk.ids import parse_id
from tickets.api.views import ERRORS


class ManagersOnly(permissions.BasePermission):
    """Chat channels are configuration: managers read and change them."""

    message = _("Only managers can change this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.is_manager)


@extend_schema_view(
    list=extend_schema(responses={200: s.ChatChannelSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.ChatChannelSerializer, **ERRORS}),
    create=extend_schema(
        request=s.ChatChannelWriteSerializer, responses={201: s.ChatChannelSerializer, **ERRORS}
    ),
    update=extend_schema(
        request=s.ChatChannelWriteSerializer, responses={200: s.ChatChannelSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        request=s.ChatChannelWriteSerializer, responses={200: s.ChatChannelSerializer, **ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class ChatChannelViewSet(viewsets.ViewSet):
    """Chat channels of the support groups (docs/chat.md). The secret is write-only."""

    lookup_value_regex = "[0-9]+"
    permission_classes = [permissions.IsAuthenticated, ManagersOnly]

    def _get(self, pk: str) -> ChatChannel:
        number = parse_id(pk)
        if number is None:
            raise Http404
        return get_object_or_404(selectors.chat_channel_list(), pk=number)

    def _save(
        self, *, channel: ChatChannel | None, request: Request, partial: bool = False
    ) -> ChatChannel:
        data = s.ChatChannelWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if partial and channel is not None:
            # PATCH: what is not sent stays as stored (a blank secret keeps the stored one).
            stored = {
                name: getattr(channel, name)
                for name, _field in data.fields.items()
                if name != "secret"
            }
            fields = {**stored, **fields}
        saved = services.chat_channel_save(
            actor=request.user,  # type: ignore[arg-type]
            channel=channel,
            **fields,
        )
        return self._get(str(saved.pk))

    def list(self, request: Request) -> Response:
        return Response(s.ChatChannelSerializer(selectors.chat_channel_list(), many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(s.ChatChannelSerializer(self._get(pk)).data)

    def create(self, request: Request) -> Response:
        channel = self._save(channel=None, request=request)
        return Response(s.ChatChannelSerializer(channel).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        channel = self._save(channel=self._get(pk), request=request)
        return Response(s.ChatChannelSerializer(channel).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        channel = self._save(channel=self._get(pk), request=request, partial=True)
        return Response(s.ChatChannelSerializer(channel).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.chat_channel_delete(actor=request.user, channel=self._get(pk))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: s.ChatDeliverySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Queue a test message; its outcome shows in `deliveries`."""
        delivery = services.chat_channel_send_test(actor=request.user, channel=self._get(pk))  # type: ignore[arg-type]
        return Response(s.ChatDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: s.ChatDeliverySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        """The channel's last 20 deliveries: status, attempts, the last error."""
        channel = self._get(pk)
        return Response(
            s.ChatDeliverySerializer(
                selectors.chat_recent_deliveries(channel=channel), many=True
            ).data
        )
