"""What every page of the ticket UI shares: the request's user, the secret tracking link's
guard, the requester's words for a status."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from helpdesk import ratelimit
from helpdesk.ids import parse_id
from tickets.models import Status
from tickets.models_choices import TEXT_MAX_LENGTH

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
    the form was open): the login page, then the ticket, rather than "page not found", with
    the reply that was being sent back in its box (`reply_kept_while_signed_out`)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method in ("GET", "HEAD"):
            if kwargs.get("token") is not None:
                return redirect("tracking", token=kwargs["token"])
            return redirect("ticket_detail", pk=kwargs["pk"])
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if kwargs.get("token") is None and not request.user.is_authenticated:
            _keep_typed_while_signed_out(request, kwargs["pk"], kwargs.get("name"))
            return redirect_to_login(reverse("ticket_detail", args=[kwargs["pk"]]))
        return view(request, *args, **kwargs)

    return wrapped


# A reply sent after the session ended (signed out in another tab, or timed out) waits here, in
# the visitor's session, for the sign-in: Django's login keeps an anonymous session's data.
SIGNED_OUT_REPLY = "tickets:signed-out-reply"
# The fields of an action's form that hold what someone wrote (after the form's prefix).
WRITTEN = frozenset({"summary", "reason", "notes"})
# Any other field of an action's form is a choice or a number (a closure code, a tier).
SHORT_FIELD_LENGTH = 200
MAX_KEPT_FIELDS = 20


def _keep_typed_while_signed_out(request: HttpRequest, pk: int, action: str | None) -> None:
    """The page's draft was dropped as the form was sent, and the sign-in led to an empty reply
    box (or a closed action panel): the text was lost without a word. A reply, or an action's
    form with something written (a resolution summary, a reason), is kept for the ticket's page,
    and the login page says why it is there."""
    if action is not None:
        # Bounded: anyone can send this anonymous POST, and it is stored in the session table.
        data: dict[str, str] = {
            key: request.POST[key][
                : TEXT_MAX_LENGTH if key.rpartition("-")[2] in WRITTEN else SHORT_FIELD_LENGTH
            ]
            for key in list(request.POST)[:MAX_KEPT_FIELDS]
            if key.startswith(f"{action}-")
        }
        if any(value.strip() for key, value in data.items() if key.rpartition("-")[2] in WRITTEN):
            request.session[SIGNED_OUT_REPLY] = {"ticket": pk, "action": action, "data": data}
            messages.warning(
                request,
                _(
                    "You were signed out, so this form was not sent. Sign in again: what you "
                    "wrote will be back in it."
                ),
            )
            return
    body = request.POST.get("reply-body", "").strip() if action is None else ""
    if not body:
        messages.warning(request, _("You were signed out, so nothing was done. Sign in again."))
        return
    request.session[SIGNED_OUT_REPLY] = {
        "ticket": pk,
        "body": body[:TEXT_MAX_LENGTH],
        "internal": request.POST.get("reply-is_internal") == "true",
    }
    messages.warning(
        request,
        _(
            "You were signed out, so your reply was not sent. Sign in again: what you wrote "
            "will be back in the reply box."
        ),
    )


def reply_kept_while_signed_out(request: HttpRequest, pk: int) -> dict[str, Any] | None:
    """The reply kept for this ticket by `post_else_ticket_page` (once), if any."""
    kept = request.session.get(SIGNED_OUT_REPLY)
    if not isinstance(kept, dict) or kept.get("ticket") != pk:
        return None
    del request.session[SIGNED_OUT_REPLY]
    return kept


def staff_required(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_authenticated:
        raise PermissionDenied
    if not user.is_staff_member:
        raise Http404
    return user


def int_param(raw: str | None) -> int | None:
    return parse_id(raw or "")
