"""One exception handler for the whole API: every error is JSON with a message, never a 500."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.defaults import page_not_found
from django_fsm import TransitionNotAllowed
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.errors import DomainError
from helpdesk.middleware import RETRY_AFTER_SECONDS
from helpdesk.query import unknown_parameters

logger = logging.getLogger(__name__)


def _message_from_detail(detail: Any) -> str:
    if isinstance(detail, dict):
        if "detail" in detail:
            return str(detail["detail"])
        for field, errors in detail.items():
            return f"{field}: {_message_from_detail(errors)}"
    if isinstance(detail, list) and detail:
        return _message_from_detail(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TransitionNotAllowed):
        ticket = getattr(exc, "object", None)
        current = ticket.get_status_display() if ticket is not None else "?"
        return Response(
            {
                "message": _("This action is not allowed while the ticket is %(status)s.")
                % {"status": current},
                "status": getattr(ticket, "status", None),
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"message": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(
            {"message": str(exc) or _("You do not have permission to do this.")},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, Http404):
        return Response({"message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            {"message": _("The service is briefly unavailable; please retry.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DataError):
        # A value the database refuses (out of range, NUL, …) is the input's fault and will
        # be refused again: a 400, never a 503 that a client (monitoring) retries forever.
        logger.warning("value refused by the database: %s", exc)
        return Response(
            {"message": _("The request contains a value that cannot be stored.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return Response(
            {"message": _("The request could not be saved; please retry.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        response.data = {"message": _message_from_detail(exc.detail), "errors": exc.detail}
    elif isinstance(exc, APIException):
        response.data = {"message": _message_from_detail(exc.detail)}
    return response


class PagedCursorPagination(CursorPagination):
    """Every paged API list's pages: `?page_size=` from 1 up, a larger one capped at
    `max_page_size` (as documented in the schema).

    DRF reads the page size with `int()`: `?page_size=٣` (Arabic-Indic digits) was 3, and
    `abc`, `0` or `-5` fell back to the default without a word; a script asking for 0 rows got
    25. Each is now a 400 naming the parameter; an empty value is the default."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    @property
    def page_size_query_description(self) -> str:  # type: ignore[override]
        return (
            f"Results per page: a whole number of at least 1, in ASCII digits (default "
            f"{self.page_size}). More than {self.max_page_size} returns {self.max_page_size} "
            "(follow `next` for the rest); 0, a negative number or anything else is a 400."
        )

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
            raise DomainError(
                _(
                    "%(name)s must be a whole number of at least 1, in the digits 0-9 "
                    "(a page holds at most %(max)s results)."
                )
                % {"name": self.page_size_query_param, "max": self.max_page_size},
                field=self.page_size_query_param,
            )
        # Any number of digits is a number, however long (int() refuses over 4300 of them).
        digits = raw.lstrip("0")
        return self.max_page_size if len(digits) > 9 else min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


# What any list may carry besides its own filters: DRF's format override and the pages.
LIST_PARAMETERS = frozenset({"format", "cursor", "page_size"})


def refuse_unknown_parameters(
    request: HttpRequest,
    *,
    takes: Iterable[str] = (),
    paged: bool = True,
    message: str | None = None,
) -> None:
    """A 400 naming each query parameter the list does not take: ignored, a misspelled filter
    (`?stauts=resolved`) would answer with every ticket, and a script would act on them all.

    `paged=False`: an answer given whole, which takes no cursor or page size either (`?page=2`
    gave a client the whole list again on every page). `message`: "… %(name)s …", when the
    list's own words say it better than "this list"."""
    query = getattr(request, "query_params", request.GET)
    known = list(takes)
    unknown = unknown_parameters(query, known=[*known, *(LIST_PARAMETERS if paged else {"format"})])
    if not unknown:
        return
    if message is None:
        message = (
            _("“%(name)s” is not a parameter of this list: it takes %(names)s.")
            if known
            else _("“%(name)s” is not a parameter of this list: it takes none.")
        )
    raise ValidationError(
        {
            name[:40]: [message % {"name": name[:40], "names": ", ".join(known)}]
            for name in unknown[:10]
        }
    )


def refuse_unknown_values(field: str, values: Iterable[str], *, choices: Iterable[str]) -> None:
    """A 400 naming a filter value that is no choice of the filter (`?status=resolvd`)."""
    allowed = list(choices)
    wrong = [value for value in values if value not in allowed]
    if wrong:
        message = _("%(value)s is not one of %(choices)s.") % {
            "value": wrong[0][:40],
            "choices": ", ".join(allowed),
        }
        raise ValidationError({field: [message]})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400. A body over DATA_UPLOAD_MAX_MEMORY_SIZE (or with too many fields) was
    Django's bare English "Bad Request (400)" page, also to an API client, while a JSON body a
    little smaller got a 413 with a message: it gets the same message now (413, JSON under
    /api/, a page elsewhere), in the request's language. Any other bad request (a disallowed
    host, …) keeps Django's answer: it may not be safe to render a page for it."""
    if isinstance(exception, RequestDataTooBig):
        message = _("The body is larger than %(limit)d bytes.") % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
        code: int = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        message = _("The request has too many fields or files.")
        code = status.HTTP_400_BAD_REQUEST
    else:
        return defaults.bad_request(request, exception)
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message}, status=code)
    return render(request, "400_body.html", {"message": message}, status=code)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """An unknown address under /api/ answers JSON like the rest of the API (handler404)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)
