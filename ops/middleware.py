"""Three middleware, first in MIDDLEWARE (helpdesk/settings.py), in this order:

1. `RequestIdMiddleware` binds the request id (ops/requestid.py) for the logs and the tasks the
   request publishes, and returns it in the `X-Request-ID` header.
2. `RequestMetricsMiddleware` counts and times every answer by URL pattern name, never by raw
   path (a path holds ids: one series per ticket would swamp Prometheus).
3. `ProbeMiddleware` answers /healthz, /readyz and /metrics itself, before everything below:
   no HTTPS redirect (a load balancer probes plain HTTP), no host check (a kubelet probes
   by pod address), no session, user, language, CSRF or rate limit; nothing that could touch
   the database unless the probe means to.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from ops import dbrouter, requestid, views
from ops.metrics import observe_request

logger = logging.getLogger(__name__)

# path → (route label, view). The same views are in ops/urls.py, for reverse() and the tests.
PROBES: dict[str, tuple[str, Callable[[HttpRequest], HttpResponse]]] = {
    "/healthz": ("healthz", views.healthz),
    "/readyz": ("readyz", views.readyz),
    "/metrics": ("metrics", views.metrics),
}


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.META.get(requestid.META_KEY)
        request_id = requestid.valid_request_id(sent) or requestid.new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        with requestid.bound(request_id, request=request):
            response = self.get_response(request)
        response[requestid.HEADER] = request_id
        return response


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (with its namespace), else the pattern itself; "unmatched" when
    the request never reached a view (a 404, a redirect, a refusal by a middleware)."""
    label = getattr(request, "ops_route", None)
    if label:
        return str(label)
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    if match.url_name:
        return str(match.view_name)
    return str(match.route) or "unmatched"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        try:
            observe_request(
                route=route_of(request),
                method=request.method or "",
                status=response.status_code,
                seconds=time.perf_counter() - started,
            )
        except Exception:  # a metric must never fail a request
            logger.exception("request metrics failed")
        return response


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        request.ops_route, view = probe  # type: ignore[attr-defined]
        return view(request)


class ReplicaMiddleware:
    """With DATABASE_REPLICA_URL: the pages of HELPDESK_REPLICA_ROUTES read the replica (GET and
    HEAD; see ops/dbrouter.py), and a user who writes reads the primary for a while after.
    Placed after authentication. Without a replica it does nothing."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = dbrouter.replica_configured()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        finally:
            token = request.__dict__.pop("_replica_page", None)
            if token is not None:
                dbrouter.replica_page_end(token)
        if request.method in self.UNSAFE:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                dbrouter.primary_sticky_mark(user_id=user.pk)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: object, kwargs: object
    ) -> None:
        match = request.resolver_match
        if (
            self.enabled
            and request.method in ("GET", "HEAD")
            and match is not None
            and match.view_name in settings.HELPDESK_REPLICA_ROUTES
        ):
            request._replica_page = dbrouter.replica_page_start(request)  # type: ignore[attr-defined]

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if (
            isinstance(exception, OperationalError | InterfaceError)
            and dbrouter.replica_page_database() == dbrouter.REPLICA
        ):
            # The replica died under this page (its 503 comes from DatabaseUnavailableMiddleware);
            # the next pages read the primary.
            dbrouter.replica_failed()
