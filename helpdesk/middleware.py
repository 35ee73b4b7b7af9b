"""A database outage answers HTML requests with a 503 page and Retry-After, never a traceback.

The API has the same mapping in its exception handler (helpdesk/api.py). A broken pooled
connection is closed here, so the next request gets a fresh one from the pool. An outage met
outside a view (a middleware loading the session or the user, the session saved after the view)
never reaches process_exception: Django turns it into a 500, so handler500 (`server_error`)
answers the 503 instead (tests/faults/test_database_restart.py).
"""

import logging
import sys
from collections.abc import Callable

from django.db import DataError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        message = _("The service is briefly unavailable; please retry.")
        response: HttpResponse = JsonResponse({"message": message}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    try:
        body: str = render_to_string("503.html", request=request)
    except Exception:  # the page itself may need the database (the session, the user)
        body = "<!doctype html><title>503</title><h1>Service briefly unavailable</h1>"
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DataError):
            # A value the database refuses (out of range, NUL, …): the input's fault, for good.
            logger.warning("value refused by the database: %s", exception)
            return _bad_request(request, _("The request contains a value that cannot be stored."))
        # Integrity errors are bugs or races the view should handle: not an outage.
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        return _outage(request, exception)


def _outage(request: HttpRequest, exception: Exception) -> HttpResponse:
    logger.warning("database unavailable: %s", exception)
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
    return database_unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage raised outside a view is a 503 too; the rest a plain 500."""
    exception = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if isinstance(exception, OperationalError | InterfaceError):
        return _outage(request, exception)
    return defaults.server_error(request)


class RejectNulBytesMiddleware:
    """A NUL byte in the path or in any header (cookies included) is refused with a 400
    (PostgreSQL text cannot hold one), before the session is read from such a cookie. The page
    says so with the site's layout, as a visitor (the session is not trusted), in the language
    the request asks for. Query parameters and form fields: RejectNulFieldsMiddleware.

    JSON bodies are checked by their parser (helpdesk/jsonbody.py), which sees escaped NULs
    (`\\u0000`) too; file contents are never checked (binary files hold NULs).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return _nul_refused(request, _("The address contains a NUL character."))
        if any(
            "\x00" in str(value)
            for key, value in request.META.items()
            if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
        ):
            return _nul_refused(request, _("The request contains a NUL character."))
        return self.get_response(request)


class RejectNulFieldsMiddleware:
    """A NUL byte in a query parameter or a form field is refused with a 400. After the user
    is known (UserPreferencesMiddleware): the page is the site's, with their menu and in their
    language; it was a bare line of text before."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            return _nul_refused(request, _("The address contains a NUL character."))
        if (
            request.method == "POST"
            and request.content_type in self.FORM_TYPES
            and any(
                "\x00" in key or "\x00" in value
                for key, values in request.POST.lists()
                for value in values
            )
        ):
            return _nul_refused(request, _("The request contains a NUL character."))
        return self.get_response(request)


def _nul_refused(request: HttpRequest, message: str) -> HttpResponse:
    return _bad_request(
        request,
        message,
        hint=_(
            "Go back to keep what you wrote, remove the invisible NUL character "
            "(pasted text can carry one) and try again."
        ),
    )


def _bad_request(request: HttpRequest, message: str, *, hint: str = "") -> HttpResponse:
    """400: JSON with the message under /api/, elsewhere the site's page that says it."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": message}, status=400)
    return render(request, "400_body.html", {"message": message, "hint": hint}, status=400)


class ApiNoStoreMiddleware:
    """API answers hold personal data and tokens: no cache (a shared proxy, the browser's
    back/forward cache) may keep them. An answer that set its own Cache-Control keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response


class FormAddressMiddleware:
    """A page opened at the address a form posts to (a POST-only view answered a GET with an
    empty 405): a page that says so, with the way back, instead of a blank one. A form with
    errors is shown at its address, so switching the language there, signing in again with
    `?next=` it or pressing Enter in the address bar got that blank page. The API keeps its
    own 405 answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method in ("GET", "HEAD")
            and not request.path.startswith("/api/")
            and not getattr(response, "content", b"x")
        ):
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
