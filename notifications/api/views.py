"""The bell over the API: one's own in-app notifications, their unread count, marking read."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from helpdesk.api import PagedCursorPagination
from notifications.api import serializers as s
from notifications.selectors import in_app_for_user, in_app_unread_count
from notifications.services import in_app_mark_all_read, in_app_mark_read
from tickets.api.views import ERRORS


class NotificationPagination(PagedCursorPagination):
    ordering = ("-created_at", "-id")


class InAppNotificationViewSet(viewsets.GenericViewSet):
    """Only the caller's own notifications exist here: another's id is a 404."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.InAppNotificationSerializer
    pagination_class = NotificationPagination
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user: User = self.request.user  # type: ignore[assignment]
        unread_only = self.request.query_params.get("unread") in {"1", "true"}
        return in_app_for_user(user=user, unread_only=unread_only)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unread", OpenApiTypes.BOOL, description="Only the unread ones (1 or true)."
            )
        ],
        responses={200: s.InAppNotificationSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses={200: s.UnreadCountSerializer, **ERRORS})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response({"unread": in_app_unread_count(user=user)})

    @extend_schema(request=None, responses={200: s.InAppNotificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        notification = in_app_mark_read(user=user, notification_id=int(pk))
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: s.MarkedSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response({"marked": in_app_mark_all_read(user=user)})
