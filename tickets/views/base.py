"""What every page of the ticket UI shares: the request's user, the secret tracking link's
guard, the requester's words for a status."""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy

from accounts.models import User
from helpdesk import ratelimit
from helpdesk.ids import parse_id
from tickets.models import Status

PAGE_SIZE = 25


# Status in plain words, for requesters.
REQUESTER_STATUS: dict[str, Any] = {
    Status.NEW: gettext_lazy("Received"),
    Status.LOGGED: gettext_lazy("Received"),
    Status.CATEGORIZED: gettext_lazy("Received"),
    Status.PRIORITIZED: gettext_lazy("Waiting for an agent"),
    Status.IN_DIAGNOSIS: gettext_lazy("An agent is working on it"),
    Status.ESCALATED: gettext_lazy("Passed to a specialist team"),
    Status.ON_HOLD: gettext_lazy("Waiting for your reply"),
    Status.RESOLVED: gettext_lazy("Solved: please confirm"),
    Status.CLOSED: gettext_lazy("Closed"),
}


def request_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def tracking_guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    """Views reached by a secret tracking link: wrong guesses are counted per address, and an
    address over its budget gets a 429 (even for a right token) until the window passes."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("token") is None:
            return view(request, *args, **kwargs)
        rate = ratelimit.tracking_misses_rate()
        if ratelimit.exceeded("tracking", request, rate=rate):
            return ratelimit.too_many_requests(request, rate=rate)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            ratelimit.hit("tracking", request, rate=rate)
            raise

    return guarded


def staff_required(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_authenticated:
        raise PermissionDenied
    if not user.is_staff_member:
        raise Http404
    return user


def int_param(raw: str | None) -> int | None:
    return parse_id(raw or "")
