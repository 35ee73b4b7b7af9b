"""A small cache-based rate limiter for the anonymous HTML side (the API uses DRF throttles).

`hit()` counts one event for a client address in a fixed window; `exceeded()` says whether the
address is over its budget. Rates are "count/seconds" strings from the settings.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def _parse(rate: str) -> tuple[int, int]:
    count, seconds = rate.split("/", 1)
    return int(count), int(seconds)


def _key(scope: str, request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is the client's to forge (the proxy sets REMOTE_ADDR).
    return f"ratelimit:{scope}:{request.META.get('REMOTE_ADDR', '')}"


def hit(scope: str, request: HttpRequest, *, rate: str) -> int:
    """Count one event; returns the count in the current window."""
    _limit, seconds = _parse(rate)
    key = _key(scope, request)
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return 1


def exceeded(scope: str, request: HttpRequest, *, rate: str) -> bool:
    limit, _seconds = _parse(rate)
    return int(cache.get(_key(scope, request), 0)) >= limit


def too_many_requests(request: HttpRequest, *, rate: str) -> HttpResponse:
    response = HttpResponse(render_to_string("429.html", request=request), status=429)
    response["Retry-After"] = str(_parse(rate)[1])
    return response


def public_form_rate() -> str:
    return str(settings.HELPDESK_RATE_PUBLIC_FORM)


def tracking_misses_rate() -> str:
    return str(settings.HELPDESK_RATE_TRACKING_MISSES)
