"""A small cache-based rate limiter for the anonymous HTML side (the API uses DRF throttles).

`hit()` counts one event for a client address in a fixed window; `exceeded()` says whether the
address is over its budget. Rates are "count/seconds" strings from the settings.

`client_ip()` is the one answer to "who is the client": these limits, the DRF throttles
(helpdesk.throttling) and django-axes (AXES_CLIENT_IP_CALLABLE) all key on it.
"""

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def _parse(rate: str) -> tuple[int, int]:
    count, seconds = rate.split("/", 1)
    return int(count), int(seconds)


def client_ip(request: HttpRequest) -> str:
    """The client's address, as far as our own proxies vouch for it.

    With HELPDESK_TRUSTED_PROXIES = 0 (the default) it is REMOTE_ADDR: X-Forwarded-For is the
    client's to forge. With n trusted proxies in front of the app, each appending the address it
    was reached from, the client is the n-th address from the right of X-Forwarded-For (what
    the client wrote itself sits further left and is ignored). A missing or malformed entry
    falls back to REMOTE_ADDR, so a misconfigured proxy never turns into a 500 or one shared key.
    """
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "HELPDESK_TRUSTED_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in str(forwarded).split(",")]
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _key(scope: str, request: HttpRequest, ident: str | None = None) -> str:
    return f"ratelimit:{scope}:{client_ip(request) if ident is None else ident}"


def limit_of(rate: str) -> int:
    return _parse(rate)[0]


def window_seconds(rate: str) -> int:
    return _parse(rate)[1]


def count_in_window(key: str, *, seconds: int) -> tuple[int, int]:
    """Count one event under `key` in a window of `seconds` that starts at its first count:
    (the count so far, the seconds the window has left)."""
    count = getattr(cache, "count", None)
    if count is not None:  # the shared cache on Redis: atomic, one round trip
        return count(key, seconds=seconds)
    if cache.add(key, 1, timeout=seconds):
        return 1, seconds
    try:
        return cache.incr(key), seconds
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=seconds)
        return 1, seconds


def hit(scope: str, request: HttpRequest, *, rate: str, ident: str | None = None) -> int:
    """Count one event for the client address (or for `ident`, e.g. a hashed email address);
    returns the count in the current window."""
    _limit, seconds = _parse(rate)
    return count_in_window(_key(scope, request, ident), seconds=seconds)[0]


def exceeded(scope: str, request: HttpRequest, *, rate: str, ident: str | None = None) -> bool:
    limit, _seconds = _parse(rate)
    return int(cache.get(_key(scope, request, ident), 0)) >= limit


def too_many_requests(request: HttpRequest, *, rate: str) -> HttpResponse:
    response = HttpResponse(render_to_string("429.html", request=request), status=429)
    response["Retry-After"] = str(_parse(rate)[1])
    return response


def public_form_rate() -> str:
    return str(settings.HELPDESK_RATE_PUBLIC_FORM)


def tracking_misses_rate() -> str:
    return str(settings.HELPDESK_RATE_TRACKING_MISSES)
