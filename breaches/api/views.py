from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from breaches import selectors, services
from breaches.api import serializers as s
from breaches.models import Breach, BreachStatus
from helpdesk.api import refuse_unknown_parameters, refuse_unknown_values
from helpdesk.errors import DomainError
from helpdesk.ids import parse_id
from tickets.api.serializers import ErrorSerializer
from tickets.selectors import ticket_get_for_breach_link

ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 409)}


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(request: Request) -> int | None:
    """If-Match: the breach's version (ETag) as the client read it, quoted or not; "*" or none:
    no check."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    version = parse_id(header.removeprefix("W/").strip('"'))
    if version is None:
        raise DomainError(_("If-Match must be the breach's version (its ETag) as you read it."))
    return version


@extend_schema(responses={**ERRORS})
class BreachViewSet(viewsets.GenericViewSet):
    """The breach register: security officers read and write, managers read, others 404."""

    serializer_class = s.BreachListSerializer

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_queryset(self) -> Any:
        return selectors.breach_list(
            user=self.user,
            status=self.request.query_params.get("status", ""),
            search=self.request.query_params.get("q", "")[:200],
        )

    def _gate(self) -> Breach:
        return selectors.breach_get_for_user(user=self.user, breach_id=self.kwargs["pk"])

    def _detail(self, breach_id: int, code: int = status.HTTP_200_OK) -> Response:
        breach = selectors.breach_detail(user=self.user, breach_id=breach_id)
        return Response(
            s.BreachDetailSerializer(breach).data,
            status=code,
            headers={"ETag": _etag(breach.version)},  # type: ignore[attr-defined]
        )

    def _require_reader(self) -> None:
        if not selectors.breach_can_read(user=self.user):
            raise Http404

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["open", "closed"]),
            OpenApiParameter(
                "q",
                str,
                description="Text in the title; a number or BRE-000123 also finds that breach",
            ),
        ],
        responses={200: s.BreachListSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        self._require_reader()
        refuse_unknown_parameters(request, takes=("status", "q"), paged=False)
        status_filter = request.query_params.get("status", "")
        if status_filter:
            refuse_unknown_values("status", [status_filter], choices=BreachStatus.values)
        return Response(s.BreachListSerializer(self.get_queryset(), many=True).data)

    @extend_schema(responses={200: s.BreachDetailSerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._gate().pk)

    @extend_schema(request=s.BreachCreateSerializer, responses={201: s.BreachDetailSerializer})
    def create(self, request: Request) -> Response:
        self._require_reader()
        data = s.BreachCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        breach = services.breach_create(actor=self.user, **data.validated_data)
        return self._detail(breach.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.BreachUpdateSerializer,
        responses={200: s.BreachDetailSerializer, 409: s.BreachChangedSerializer},
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description="The breach's `version` (its ETag) as you read it: a field someone "
                "else changed since is kept as they saved it unless you change it too; then "
                "nothing is saved and the answer is a 409 naming the field and their value.",
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.BreachUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            services.breach_update(
                breach=breach,
                actor=self.user,
                expected_version=_if_match(request),
                **data.validated_data,
            )
        except services.BreachChangedError as changed:
            body = {
                "message": changed.message,
                "version": changed.version,
                "errors": {c.field: [changed.message] for c in changed.conflicts},
                "current": s.field_values({c.field: c.theirs for c in changed.conflicts}),
            }
            return Response(
                body, status=status.HTTP_409_CONFLICT, headers={"ETag": _etag(changed.version)}
            )
        return self._detail(breach.pk)

    @extend_schema(
        request=s.FlagSerializer,
        responses={201: None, **ERRORS},
        description="An agent flags a ticket they can read as a suspected data breach. "
        "The answer confirms it without revealing the record.",
    )
    @action(detail=False, methods=["post"])
    def flag(self, request: Request) -> Response:
        data = s.FlagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = selectors.ticket_for_flagging(
            user=self.user, ticket_id=data.validated_data["ticket"]
        )
        breach = services.breach_flag_ticket(
            ticket=ticket, actor=self.user, description=data.validated_data["description"]
        )
        body: dict[str, Any] = {"flagged": True, "ticket": ticket.pk}
        if selectors.breach_can_read(user=self.user):
            body["breach"] = breach.pk
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TicketLinkSerializer, responses={200: s.BreachDetailSerializer})
    @action(detail=True, methods=["post"], url_path="link-ticket")
    def link_ticket(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.TicketLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not selectors.breach_can_change(user=self.user):
            raise PermissionDenied
        ticket = ticket_get_for_breach_link(user=self.user, ticket_id=data.validated_data["ticket"])
        services.breach_link_ticket(breach=breach, actor=self.user, ticket=ticket)
        return self._detail(breach.pk)

    @extend_schema(
        request=s.NotifyAuthoritySerializer, responses={201: s.AuthorityNotificationSerializer}
    )
    @action(detail=True, methods=["post"], url_path="notify-authority")
    def notify_authority(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.NotifyAuthoritySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notification = services.breach_notify_authority(
            breach=breach, actor=self.user, **data.validated_data
        )
        return Response(
            s.AuthorityNotificationSerializer(notification).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.NotNotifyingSerializer, responses={200: s.BreachDetailSerializer})
    @action(detail=True, methods=["post"], url_path="not-notifying")
    def not_notifying(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.NotNotifyingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.breach_decide_not_to_notify(
            breach=breach, actor=self.user, reason=data.validated_data["reason"]
        )
        return self._detail(breach.pk)

    @extend_schema(request=s.SubjectsDecisionSerializer, responses={200: s.BreachDetailSerializer})
    @action(detail=True, methods=["post"], url_path="subjects-decision")
    def subjects_decision(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.SubjectsDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.breach_decide_subjects(breach=breach, actor=self.user, **data.validated_data)
        return self._detail(breach.pk)

    @extend_schema(
        request=s.SubjectsCommunicationSerializer, responses={200: s.BreachDetailSerializer}
    )
    @action(detail=True, methods=["post"], url_path="subjects-communication")
    def subjects_communication(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.SubjectsCommunicationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.breach_record_subjects_communication(
            breach=breach, actor=self.user, **data.validated_data
        )
        return self._detail(breach.pk)

    @extend_schema(responses={200: s.NoteSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def notes(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        return Response(s.NoteSerializer(selectors.breach_notes(breach=breach), many=True).data)

    @extend_schema(request=s.NoteSerializer, responses={201: s.NoteSerializer, **ERRORS})
    @notes.mapping.post
    def add_note(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        data = s.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.breach_add_note(
            breach=breach, actor=self.user, body=data.validated_data["body"]
        )
        return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.EvidenceSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def evidence(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        rows = selectors.breach_attachments(breach=breach)
        return Response(s.EvidenceSerializer(rows, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
            }
        },
        responses={201: s.EvidenceSerializer(many=True), **ERRORS},
    )
    @evidence.mapping.post
    def add_evidence(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        saved = services.breach_add_evidence(
            breach=breach, actor=self.user, files=request.FILES.getlist("files")
        )
        return Response(s.EvidenceSerializer(saved, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.AuditEntrySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str) -> Response:
        breach = self._gate()
        entries = selectors.breach_history(breach=breach)
        return Response(s.AuditEntrySerializer(entries, many=True).data)
