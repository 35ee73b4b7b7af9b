from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.models import User
from helpdesk.api import (
    PagedCursorPagination,
    refuse_unknown_parameters,
    refuse_unknown_values,
)
from helpdesk.errors import DomainError
from helpdesk.ids import parse_id
from notifications.mentions import mentions_unreached
from tickets import services
from tickets.api import serializers as s
from tickets.bulk import BulkArgs, tickets_bulk_apply
from tickets.collisions import TicketChangedError, TicketVersion, parse_version, ticket_version
from tickets.models import Category, Kind, Source, Status, Ticket
from tickets.presence import (
    Viewer,
    heartbeat_seconds,
    presence_heartbeat,
    presence_leave,
    presence_viewers,
)
from tickets.selectors import (
    SLA_FILTERS,
    TicketFilters,
    ticket_comments_for_user,
    ticket_events_for_user,
    ticket_get_for_user,
    ticket_list,
)
from tickets.transition_table import TABLE, Transition

ERRORS = {
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
}


_TICKET_COLUMNS = {f.name for f in Ticket._meta.concrete_fields}
_PERSON = ("display_name", "first_name", "last_name", "username")  # User.name
_LABEL = ("name", "name_es")  # Category.label
# What a list row reads (TicketListSerializer): its own columns (requester, assignee and
# category among them), the people's names and the category path.
LIST_COLUMNS = (
    *(f for f in s.TicketListSerializer.Meta.fields if f in _TICKET_COLUMNS),
    *(f"requester__{f}" for f in _PERSON),
    *(f"assignee__{f}" for f in _PERSON),
    *(f"category__{f}" for f in (*_LABEL, "parent")),
    *(f"category__parent__{f}" for f in _LABEL),
)


class TicketCursorPagination(PagedCursorPagination):
    """Keyset pagination: a deep page costs what the first one does."""

    ordering = "-id"

    def decode_cursor(self, request: Request) -> Cursor | None:
        """A cursor we did not issue is a 400: DRF checks its shape, not its position, which
        reached the query as `id < 'abc'` (a 500)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            valid = False
        else:
            position = None if cursor is None else cursor.position
            valid = position is None or parse_id(position) is not None
        if not valid:
            raise DomainError(_("The cursor is not valid."), field=self.cursor_query_param)
        return cursor


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise DomainError(_("%(name)s must be a number.") % {"name": name}, field=name)
    return value


# The list's filters (the `list` schema below documents each).
LIST_FILTERS = (
    "status",
    "kind",
    "tier",
    "priority",
    "category",
    "assignee",
    "requester",
    "sla",
    "q",
)


def _filters_from(request: Request) -> TicketFilters:
    user: User = request.user  # type: ignore[assignment]
    assignee_raw = request.query_params.get("assignee", "").strip()
    if assignee_raw == "me":
        assignee, unassigned = user.pk, False
    elif assignee_raw == "none":
        assignee, unassigned = None, True
    else:
        assignee, unassigned = _int_param(request, "assignee"), False
    statuses = [v.strip() for v in request.query_params.get("status", "").split(",") if v.strip()]
    refuse_unknown_values("status", statuses, choices=Status.values)
    kind = request.query_params.get("kind", "").strip() or None
    if kind is not None:
        refuse_unknown_values("kind", [kind], choices=Kind.values)
    sla = request.query_params.get("sla", "").strip() or None
    if sla is not None and sla not in SLA_FILTERS:
        raise DomainError(_("sla must be at_risk or breached."), field="sla")
    return TicketFilters(
        status=statuses or None,
        kind=kind,
        tier=_int_param(request, "tier"),
        priority=_int_param(request, "priority"),
        category=_int_param(request, "category"),
        assignee=assignee,
        unassigned=unassigned,
        requester=_int_param(request, "requester"),
        search=request.query_params.get("q", "")[:200],
        sla=sla,
    )


def _expected_version(request: Request, data: dict[str, Any]) -> TicketVersion | None:
    """The version a comment is written against: `expected_version`, else If-Match ("*" or
    nothing: no check)."""
    if data.get("expected_version"):
        return parse_version(data["expected_version"], field="expected_version")
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        return parse_version(header, field="expected_version")
    return None


class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    pagination_class = TicketCursorPagination
    serializer_class = s.TicketListSerializer

    def get_queryset(self) -> QuerySet[Ticket]:
        tickets = ticket_list(user=self.request.user, filters=_filters_from(self.request))  # type: ignore[arg-type]
        # A row needs a third of a ticket's columns and a user's name, not the whole rows.
        return tickets.only(*LIST_COLUMNS) if self.action == "list" else tickets

    def get_object(self) -> Ticket:
        return ticket_get_for_user(user=self.request.user, ticket_id=self.kwargs["pk"])  # type: ignore[arg-type]

    def get_serializer_class(self) -> type[BaseSerializer]:
        if getattr(self, "swagger_fake_view", False):  # the schema documents the staff shape
            return s.TicketListSerializer if self.action == "list" else s.TicketDetailSerializer
        return s.ticket_serializer_class(user=self.request.user, detail=self.action != "list")

    def _detail_data(self, ticket: Ticket) -> Any:
        serializer = s.ticket_serializer_class(user=self.request.user, detail=True)
        return serializer(ticket, context=self.get_serializer_context()).data

    def _detail(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        try:
            fresh = ticket_get_for_user(user=self.request.user, ticket_id=ticket.pk)  # type: ignore[arg-type]
        except Http404:
            # The actor's own action took the ticket out of their sight (escalated to a tier
            # they do not work): answer with the ticket as their action left it, not a 404.
            fresh = ticket
        return Response(self._detail_data(fresh), status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="Comma-separated states"),
            OpenApiParameter("kind", str, enum=["incident", "service_request"]),
            OpenApiParameter("tier", int, enum=[1, 2, 3]),
            OpenApiParameter("priority", int, enum=[1, 2, 3, 4, 5]),
            OpenApiParameter("category", int),
            OpenApiParameter("assignee", str, description="A user id, 'me' or 'none'"),
            OpenApiParameter("requester", int),
            OpenApiParameter(
                "sla",
                str,
                enum=list(SLA_FILTERS),
                description="at_risk: an open clock past 75 % of its target; breached: any "
                "clock breached or overdue",
            ),
            OpenApiParameter(
                "q",
                str,
                description="Text in the title; a number or reference (404, #404, INC-000404) "
                "also finds that ticket, beside the titles containing it",
            ),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        refuse_unknown_parameters(request, takes=LIST_FILTERS)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ETag",
                str,
                OpenApiParameter.HEADER,
                response=True,
                description="The ticket's version for you: send it back as If-Match (or "
                "expected_version) with a comment so that it is refused if someone else wrote "
                "since.",
            )
        ]
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        response = Response(self._detail_data(ticket))
        response["ETag"] = ticket_version(ticket=ticket, user=request.user).etag  # type: ignore[arg-type]
        return response

    @extend_schema(
        request=s.TicketCreateSerializer, responses={201: s.TicketDetailSerializer, **ERRORS}
    )
    def create(self, request: Request) -> Response:
        data = s.TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user: User = request.user  # type: ignore[assignment]
        requester_email = values.pop("requester_email", None)
        if requester_email and not user.is_agent:
            raise PermissionDenied(_("Only agents can log a ticket for someone else."))
        if not (user.is_requester or user.is_agent):
            raise PermissionDenied(_("Only requesters and agents can open tickets."))
        requester = services.requester_for_email(email=requester_email) if requester_email else user
        ticket = services.ticket_create(
            requester=requester,
            source=Source.API if user == requester else Source.PHONE,
            **values,
        )
        if user == requester:
            # The requester reads their own ticket: serialise what was just written, no re-read.
            return Response(self._detail_data(ticket), status=status.HTTP_201_CREATED)
        try:
            return self._detail(ticket, status.HTTP_201_CREATED)
        except Http404:  # an L2/L3 agent logged it for L1's queue, which they cannot read
            return Response(
                {"id": ticket.pk, "reference": ticket.reference}, status=status.HTTP_201_CREATED
            )

    @extend_schema(
        request=s.TicketUpdateSerializer, responses={200: s.TicketDetailSerializer, **ERRORS}
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        data = s.TicketUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason", "")
        if "priority" in values:
            values["priority"] = int(values["priority"])
        ticket = services.ticket_update(ticket=ticket, actor=request.user, reason=reason, **values)  # type: ignore[arg-type]
        return self._detail(ticket)

    @extend_schema(responses={200: s.CommentSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], url_path="comments", pagination_class=None)
    def comments(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        comments = ticket_comments_for_user(user=request.user, ticket=ticket)  # type: ignore[arg-type]
        return Response(s.CommentSerializer(comments, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": s.CommentCreateSerializer,
            "application/json": s.CommentCreateSerializer,
        },
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag of the ticket as you read it (as expected_version).",
            )
        ],
        responses={201: s.CommentCreatedSerializer, **ERRORS, 409: s.TicketChangedSerializer},
    )
    @comments.mapping.post
    def add_comment(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        data = s.CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            comment = services.comment_create(
                ticket=ticket,
                actor=request.user,  # type: ignore[arg-type]
                body=data.validated_data["body"],
                is_internal=data.validated_data["is_internal"],
                files=request.FILES.getlist("files"),
                expected_version=_expected_version(request, data.validated_data),
            )
        except TicketChangedError as changed:
            body = {
                "message": changed.message,
                "version": str(changed.version),
                "comments": s.CommentSerializer(changed.comments, many=True).data,
                "events": s.EventSerializer(
                    changed.events, many=True, context={"request": request}
                ).data,
            }
            return Response(
                body, status=status.HTTP_409_CONFLICT, headers={"ETag": changed.version.etag}
            )
        actor: User = request.user  # type: ignore[assignment]
        comment.mentions_not_notified = [  # type: ignore[attr-defined]
            {"name": m.name, "reason": m.reason.value, "message": str(m.reason.label)}
            for m in mentions_unreached(comment=comment, ticket=ticket, author=actor)
        ]
        return Response(s.CommentCreatedSerializer(comment).data, status=status.HTTP_201_CREATED)

    def _presence_ticket(self) -> tuple[Ticket, User]:
        """Presence is for support staff only: a requester never learns who is on a ticket."""
        user: User = self.request.user  # type: ignore[assignment]
        if not user.is_staff_member:
            raise NotFound(_("Not found."))
        return self.get_object(), user

    def _presence(self, viewers: Sequence[Viewer]) -> Response:
        data = {
            "viewers": [
                {"user_id": v.user_id, "name": v.name, "typing": v.typing} for v in viewers
            ],
            "heartbeat_seconds": heartbeat_seconds(),
        }
        return Response(s.PresenceSerializer(data).data, headers={"Cache-Control": "no-store"})

    @extend_schema(responses={200: s.PresenceSerializer, **ERRORS})
    @action(detail=True, methods=["get"], url_path="presence", pagination_class=None)
    def presence(self, request: Request, pk: str) -> Response:
        """Who else (support staff) has the ticket open now, and who is typing a reply."""
        ticket, user = self._presence_ticket()
        return self._presence(presence_viewers(ticket_id=ticket.pk, exclude=user))

    @extend_schema(
        request=s.PresenceBeatSerializer, responses={200: s.PresenceSerializer, **ERRORS}
    )
    @presence.mapping.post
    def presence_beat(self, request: Request, pk: str) -> Response:
        """A heartbeat: you are on the ticket (typing a reply or not); answers who else is."""
        ticket, user = self._presence_ticket()
        data = s.PresenceBeatSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        typing = data.validated_data["typing"] and user.is_agent
        return self._presence(presence_heartbeat(ticket_id=ticket.pk, user=user, typing=typing))

    @extend_schema(request=None, responses={204: None, **ERRORS})
    @presence.mapping.delete
    def presence_leave(self, request: Request, pk: str) -> Response:
        """You left the ticket: no longer listed (otherwise after a few missed heartbeats)."""
        ticket, user = self._presence_ticket()
        presence_leave(ticket_id=ticket.pk, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: s.EventSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        events = ticket_events_for_user(user=request.user, ticket=ticket)  # type: ignore[arg-type]
        return Response(s.EventSerializer(events, many=True, context={"request": request}).data)

    @extend_schema(
        request=s.BulkActionSerializer,
        responses={200: s.BulkResultSerializer, **ERRORS},
        description=(
            "One action on many tickets (at most 100 ids; more is a 400). Each ticket goes "
            "through the same service as the single action (its own event, permission check "
            "and notifications); one refusal does not undo the others: each row says `ok`, or "
            "the `code` and `message` the single action would answer (400, 403, 404, 409). "
            "Only agents (403 for anyone else)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk", pagination_class=None)
    def bulk(self, request: Request) -> Response:
        if not request.user.is_agent:  # type: ignore[union-attr]
            raise PermissionDenied(_("Only support agents can do this."))
        data = s.BulkActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcomes = tickets_bulk_apply(
            actor=request.user,  # type: ignore[arg-type]
            action=values["action"],
            ids=values["ids"],
            args=BulkArgs(**values["args"]),
        )
        done = sum(1 for outcome in outcomes if outcome.ok)
        return Response(
            s.BulkResultSerializer(
                {
                    "action": values["action"],
                    "done": done,
                    "failed": len(outcomes) - done,
                    "results": outcomes,
                }
            ).data
        )

    # --- one POST per transition, generated from the table below the class ---------------------

    def _run_transition(self, row: Transition) -> Response:
        ticket = self.get_object()
        data = row.serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        ticket = row.run(ticket, self.request.user, dict(data.validated_data))  # type: ignore[arg-type]
        return self._detail(ticket, row.code)


def _transition_endpoint(row: Transition) -> Callable[..., Response]:
    """`POST /api/tickets/{id}/<row.path>/`: the row's serializer in, the ticket out."""

    def endpoint(self: TicketViewSet, request: Request, pk: str) -> Response:
        return self._run_transition(row)

    endpoint.__name__ = endpoint.__qualname__ = row.method
    routed = action(detail=True, methods=["post"], url_path=row.path)(endpoint)
    return extend_schema(  # type: ignore[no-any-return]
        request=row.serializer,
        responses={row.code: s.TicketDetailSerializer, **ERRORS},
        description=row.doc,
    )(routed)


for _row in TABLE:
    setattr(TicketViewSet, _row.method, _transition_endpoint(_row))


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CategorySerializer
    queryset = (
        Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent_id", "name")
    )
