from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from helpdesk.api import refuse_unknown_parameters, refuse_unknown_values
from helpdesk.errors import DomainError
from helpdesk.ids import parse_id
from kb import selectors, services
from kb.api import serializers as s
from tickets.api.serializers import ErrorSerializer
from tickets.selectors import ticket_get_for_user

ERRORS = {code: ErrorSerializer for code in (400, 401, 403, 404, 409)}


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _if_match(request: Request) -> datetime | None:
    """If-Match: the article's `updated_at` as the client read it (quoted or not; "*" or none:
    no check). Two agents' scripts no longer overwrite each other's text silently."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    try:
        read = datetime.fromisoformat(header.removeprefix("W/").strip('"').replace("Z", "+00:00"))
    except ValueError:
        read = None
    if read is None or read.tzinfo is None:
        raise DomainError(_("If-Match must be the article's updated_at as you read it."))
    return read


@extend_schema(responses={**ERRORS})
class ArticleViewSet(viewsets.GenericViewSet):
    """Knowledge-base articles: public ones for everyone, internal ones for support staff; staff
    write them."""

    serializer_class = s.ArticleListSerializer
    lookup_value_regex = "[0-9]+"  # also types the path parameter in the schema

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return list(super().get_permissions())

    def _require_author(self) -> None:
        if not selectors.can_use_kb_tools(user=_user(self.request)):
            raise PermissionDenied

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words to search for (English or Spanish)"),
            OpenApiParameter("language", str, enum=["en", "es"]),
            OpenApiParameter("category", int),
        ],
        responses={200: s.ArticleListSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request) -> Response:
        params = request.query_params
        refuse_unknown_parameters(request, takes=("q", "language", "category"), paged=False)
        if params.get("language"):
            refuse_unknown_values("language", [params["language"]], choices=("en", "es"))
        category = params.get("category", "")
        articles = selectors.articles_search(
            user=_user(request),
            text=params.get("q", "")[:200],
            language=params.get("language", "") if params.get("language") in ("en", "es") else "",
            category_id=parse_id(category),
        )[:100]
        return Response(s.ArticleListSerializer(articles, many=True).data)

    @extend_schema(responses={200: s.ArticleDetailSerializer, **ERRORS})
    def retrieve(self, request: Request, pk: str) -> Response:
        article = selectors.article_get_for_user(user=_user(request), article_id=pk)  # type: ignore[arg-type]
        data = s.ArticleDetailSerializer(article).data
        if not selectors.can_use_kb_tools(user=_user(request)):
            data["source_ticket_id"] = None  # which customer's ticket it came from: staff only
        return Response(data)

    @extend_schema(request=s.ArticleWriteSerializer, responses={201: s.ArticleDetailSerializer})
    def create(self, request: Request) -> Response:
        self._require_author()
        data = s.ArticleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        source_id = values.pop("source_ticket", None)
        source = (
            ticket_get_for_user(user=_user(request), ticket_id=source_id)
            if source_id is not None
            else None
        )
        article = services.article_create(actor=_user(request), source_ticket=source, **values)
        return Response(s.ArticleDetailSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ArticleWriteSerializer,
        responses={200: s.ArticleDetailSerializer},
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description="The article's `updated_at` as read: when someone saved it since, "
                "nothing is saved and the answer is a 409.",
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        self._require_author()
        article = selectors.article_get_for_user(user=_user(request), article_id=pk)  # type: ignore[arg-type]
        data = s.ArticleWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("source_ticket", None)
        clear = "category" in values and values["category"] is None
        article = services.article_update(
            article=article,
            actor=_user(request),
            clear_category=clear,
            expected_updated_at=_if_match(request),
            **values,
        )
        return Response(s.ArticleDetailSerializer(article).data)


class ArticleSuggestView(APIView):
    """Articles matching what a requester is typing (public ones, unless staff)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses={200: s.ArticleListSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        articles = selectors.article_suggestions(
            user=_user(request), text=request.query_params.get("q", "")
        )
        return Response(s.ArticleListSerializer(articles, many=True).data)


class SimilarIncidentsView(APIView):
    """The resolved incidents most similar to a ticket, that the caller may read (staff)."""

    @extend_schema(responses={200: s.SimilarIncidentSerializer(many=True), **ERRORS})
    def get(self, request: Request, ticket_id: int) -> Response:
        ticket = ticket_get_for_user(user=_user(request), ticket_id=ticket_id)
        if not selectors.can_use_kb_tools(user=_user(request)):
            raise PermissionDenied
        similar = selectors.similar_to_ticket(user=_user(request), ticket=ticket)
        return Response(s.SimilarIncidentSerializer(similar, many=True).data)


class TicketLinkView(APIView):
    """Mark two tickets as related (agents; both must be readable)."""

    @extend_schema(
        request=s.TicketLinkCreateSerializer,
        responses={201: s.TicketLinkSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        data = s.TicketLinkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        ticket = ticket_get_for_user(user=user, ticket_id=data.validated_data["ticket"])
        related = ticket_get_for_user(user=user, ticket_id=data.validated_data["related"])
        link = services.ticket_link_create(ticket=ticket, related=related, actor=user)
        return Response(s.TicketLinkSerializer(link).data, status=status.HTTP_201_CREATED)
