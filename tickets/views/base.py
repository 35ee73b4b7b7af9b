"""What every page of the ticket UI shares: the request's user, the secret tracking link's
guard, the requester's words for a status."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
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


def post_else_ticket_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """A write of the ticket page (reply, attach, a transition) takes a POST; a GET of its
    address goes to the ticket page. A form with errors is shown at that address, so switching
    the language there, signing in again (`?next=`) or pressing Enter in the address bar asked
    for it with a GET: a blank 405 page before. Signed out meanwhile (the session ended while
    the form was open): the login page, then the ticket, rather than "page not found"."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method in ("GET", "HEAD"):
            if kwargs.get("token") is not None:
                return redirect("tracking", token=kwargs["token"])
            return redirect("ticket_detail", pk=kwargs["pk"])
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if kwargs.get("token") is None and not request.user.is_authenticated:
            return redirect_to_login(reverse("ticket_detail", args=[kwargs["pk"]]))
        return view(request, *args, **kwargs)

    return wrapped


def staff_required(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_authenticated:
        raise PermissionDenied
    if not user.is_staff_member:
        raise Http404
    return user


def int_param(raw: str | None) -> int | None:
    return parse_id(raw or "")
