from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from helpdesk.api import refuse_unknown_parameters
from savedviews import services
from savedviews.api import serializers as s
from savedviews.counts import saved_view_counts
from savedviews.models import SavedView
from savedviews.selectors import saved_view_get_for_user, saved_views_visible_to
from tickets.api.views import ERRORS


class SupportStaffOnly(permissions.BasePermission):
    """Saved views are the console's: requesters (and anyone outside support) get a 403."""

    message = _("Only support staff have saved views.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user: User = request.user  # type: ignore[assignment]
        return bool(user.is_authenticated and user.is_staff_member)


@extend_schema_view(
    list=extend_schema(responses={200: s.SavedViewSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.SavedViewSerializer, **ERRORS}),
    create=extend_schema(
        request=s.SavedViewWriteSerializer, responses={201: s.SavedViewSerializer, **ERRORS}
    ),
    update=extend_schema(
        request=s.SavedViewWriteSerializer, responses={200: s.SavedViewSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        request=s.SavedViewWriteSerializer, responses={200: s.SavedViewSerializer, **ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class SavedViewViewSet(viewsets.ViewSet):
    """The console's saved views: the caller's own and those shared with their groups.

    Only the owner changes or deletes a view (403 for a group member; 404 for a view the caller
    cannot read). `query` is checked against the console's filters (400 naming the bad one)."""

    lookup_value_regex = "[0-9]+"  # also types the path parameter in the schema
    permission_classes = [permissions.IsAuthenticated, SupportStaffOnly]

    def _user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def _answer(self, view: SavedView, *, code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the gate: the reader's `is_default` annotation and count.
        view = saved_view_get_for_user(user=self._user(), view_id=view.pk)
        counts = saved_view_counts(user=self._user(), views=[view])
        context = {"request": self.request, "counts": counts}
        return Response(s.SavedViewSerializer(view, context=context).data, status=code)

    def list(self, request: Request) -> Response:
        # The list is whole (50 views at most) and takes no parameter: a client paging it with
        # `?page=2` was given the whole list again for every page, and never reached the end.
        refuse_unknown_parameters(request, paged=False)
        views = list(saved_views_visible_to(user=self._user()))
        counts = saved_view_counts(user=self._user(), views=views)
        context = {"request": request, "counts": counts}
        return Response(s.SavedViewSerializer(views, many=True, context=context).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._answer(saved_view_get_for_user(user=self._user(), view_id=pk))

    def create(self, request: Request) -> Response:
        data = s.SavedViewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        view = services.saved_view_create(
            owner=self._user(),
            name=values["name"],
            query=values["query"],
            visibility=values.get("visibility", "group" if values.get("group") else "private"),
            group=values.get("group"),
            make_default=values.get("is_default", False),
        )
        return self._answer(view, code=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        view = saved_view_get_for_user(user=self._user(), view_id=pk)
        services.saved_view_check_owner(view=view, actor=self._user())  # 403 before any 400
        data = s.SavedViewWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        visibility = values.get("visibility")
        if visibility is None and "group" in values:
            visibility = "group" if values["group"] else "private"
        view = services.saved_view_update(
            view=view,
            actor=self._user(),
            name=values.get("name"),
            query=values.get("query"),
            visibility=visibility,
            group=values.get("group"),
        )
        if "is_default" in values:
            services.saved_view_set_default(
                user=self._user(), view=view if values["is_default"] else None
            )
        return self._answer(view)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        view = saved_view_get_for_user(user=self._user(), view_id=pk)
        services.saved_view_delete(view=view, actor=self._user())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: s.SavedViewSerializer, 204: None, **ERRORS},
        description="POST: make this view the one your bare console opens (your own or one "
        "shared with your group). DELETE: stop using it as your default.",
    )
    @action(detail=True, methods=["post", "delete"])
    def default(self, request: Request, pk: str) -> Response:
        view = saved_view_get_for_user(user=self._user(), view_id=pk)
        if request.method == "DELETE":
            if view.is_default:  # type: ignore[attr-defined]
                services.saved_view_set_default(user=self._user(), view=None)
            return Response(status=status.HTTP_204_NO_CONTENT)
        services.saved_view_set_default(user=self._user(), view=view)
        return self._answer(view)
