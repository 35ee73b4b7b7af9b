"""Writes from the ticket page: the ticket and who acts (signed in or through the secret link),
and what the page answers (done, refused, bad input, changed since it was read)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from tickets.collisions import TicketChangedError
from tickets.models import Status, Ticket
from tickets.selectors import ticket_get_by_tracking_token, ticket_get_for_user
from tickets.services.checks import closed_meanwhile_message
from tickets.views.base import REQUESTER_STATUS, request_user
from tickets.views.page import render_ticket


def ticket_for_write(
    request: HttpRequest, pk: int | None, token: str | None
) -> tuple[Ticket, User, bool]:
    """The ticket, who acts, and whether as staff (never through the secret link)."""
    if token is not None:
        ticket = ticket_get_by_tracking_token(token=token)
        return ticket, ticket.requester, False
    if not request.user.is_authenticated:
        raise Http404
    user = request_user(request)
    return ticket_for_agent_write(user=user, ticket_id=pk or 0), user, user.is_staff_member


class TicketOutOfReach(Http404):
    """The gate's 404 for the ticket a signed-in user writes to (see `gives_typed_text_back`)."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id


def ticket_for_agent_write(*, user: User, ticket_id: int) -> Ticket:
    """The ticket through the gate; its 404 is a TicketOutOfReach."""
    try:
        return ticket_get_for_user(user=user, ticket_id=ticket_id)
    except Http404:
        raise TicketOutOfReach(ticket_id) from None


# The fields that hold what an agent writes (a field's name after its form prefix: a reply, a
# summary, a reason, a call's notes), never the hidden ones (token, idempotency key, version).
# The escalation forms post theirs without a prefix.
_TYPED_FIELDS = frozenset({"body", "summary", "reason", "notes"})


def gives_typed_text_back(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A write whose ticket left the agent's reach while they wrote (a colleague escalated it
    to a tier they do not work): still a 404, but with what they typed (`out_of_reach_page`)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except TicketOutOfReach as gone:
            kept = out_of_reach_page(request, gone.ticket_id)
            if kept is None:
                raise
            return kept

    return wrapped


def out_of_reach_page(request: HttpRequest, pk: int | None) -> HttpResponse | None:
    """An agent's write to a ticket they cannot read (now): most often another agent escalated
    it to a tier they do not work on while they wrote (tiers above L1 read their own queue
    only), and the gate's plain 404 lost what they typed. Still a 404, the same whether the
    ticket exists or not (nothing revealed), but it says so and gives the text back. None when
    nothing was typed (the plain 404)."""
    user = request_user(request)
    if not (user.is_authenticated and user.is_agent):
        return None
    texts = [
        value
        for key in request.POST
        if key.rpartition("-")[2] in _TYPED_FIELDS and (value := request.POST.get(key, "")).strip()
    ]
    if not texts:
        return None
    context = {"number": f"#{pk}", "texts": texts}
    return render(request, "tickets/out_of_reach.html", context, status=404)


def back_to_ticket(ticket: Ticket, tracking: bool) -> HttpResponse:
    if tracking:
        return redirect("tracking", token=ticket.tracking_token)
    return redirect("ticket_detail", pk=ticket.pk)


def refused(request: HttpRequest, ticket: Ticket, why: str, *, staff: bool) -> None:
    ticket.refresh_from_db(fields=["status", "tier", "assignee"])
    if staff and ticket.status == Status.CLOSED:
        # "You cannot do this now. The ticket is now: Closed." left the agent guessing: who
        # closed it, and that nothing more can be done to it.
        messages.error(request, closed_meanwhile_message(ticket=ticket, done=_("Not done")))
        return
    status = ticket.get_status_display() if staff else REQUESTER_STATUS[ticket.status]
    messages.error(
        request,
        _("%(why)s The ticket is now: %(status)s.") % {"why": why, "status": status},
    )


def form_error(form: forms.Form, error: DomainError) -> None:
    name = "attachments" if error.field == "files" else error.field  # the services say "files"
    field = name if name in form.fields else None
    form.add_error(field, error.message)


def form_write(
    request: HttpRequest,
    ticket: Ticket,
    form: forms.Form,
    *,
    key: str,
    tracking: bool,
    staff: bool,
    write: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """A write from a form of the ticket page (reply, attach): `write(cleaned_data)` runs the
    service and says what was done. Done: that message and back to the page. Refused by the
    service: the reason, and the page with the form as sent (403). Bad input: the page again
    with the form's errors (400); someone else wrote since the page was read: the page with
    what changed (409)."""
    if form.is_valid():
        try:
            done = write(form.cleaned_data)
        except TicketChangedError as changed:
            # Nothing saved: the page again, the text kept, what changed above the form.
            return render_ticket(
                request, ticket, tracking=tracking, bound={key: form}, changed=changed, status=409
            )
        except PermissionDenied as error:
            # The ticket moved on (escalated, taken by another tier) while the text was written:
            # the reason, and the page again with the text kept to copy.
            refused(request, ticket, str(error), staff=staff)
            return render_ticket(request, ticket, tracking=tracking, bound={key: form}, status=403)
        except DomainError as error:
            form_error(form, error)
            # A conflict (the ticket was closed meanwhile) is a 409, as in the API.
            status = error.status_code
        else:
            messages.success(request, done)
            return back_to_ticket(ticket, tracking)
    else:
        status = 400
    return render_ticket(request, ticket, tracking=tracking, bound={key: form}, status=status)
