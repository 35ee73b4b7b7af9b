"""Probes for load balancers and Kubernetes, and the Prometheus scrape.

They are answered by ops.middleware.ProbeMiddleware before the rest of the middleware; they
are in ops/urls.py too, so they resolve by name. None needs a user, a session or a language.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from helpdesk.ratelimit import client_ip
from ops import metrics as ops_metrics
from ops import probes


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No I/O, so a database outage never restarts the pods."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database, the shared cache and the broker answer, and the SLA sweep ran
    recently (beat and a worker are alive). 503 naming what failed, so the load balancer sends
    traffic elsewhere."""
    results = probes.readiness()
    failed = [result.name for result in results if not result.ok]
    body = {
        "status": "unavailable" if failed else "ok",
        "failed": failed,
        "checks": {
            result.name: {
                "ok": result.ok,
                **({"error": result.error} if result.error else {}),
                "seconds": result.seconds,
            }
            for result in results
        },
    }
    return JsonResponse(body, status=503 if failed else 200)


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.HELPDESK_METRICS_ALLOW]


def metrics_access(request: HttpRequest) -> bool | None:
    """None: metrics are off (neither a token nor an allow-list is set). True: the bearer token
    matches, or the client address is on the allow-list. False otherwise."""
    token = settings.HELPDESK_METRICS_TOKEN
    networks = _allowed_networks()
    if not token and not networks:
        return None
    if token:
        scheme, _, sent = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
        sent_token = sent.strip().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(sent_token, token.encode()):
            return True
    if networks:
        try:
            address = ipaddress.ip_address(client_ip(request))
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; 404 while neither HELPDESK_METRICS_TOKEN nor
    HELPDESK_METRICS_ALLOW is set, 403 to anyone who is neither."""
    allowed = metrics_access(request)
    if allowed is None:
        return HttpResponse("Not found\n", status=404, content_type="text/plain; charset=utf-8")
    if not allowed:
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(ops_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
