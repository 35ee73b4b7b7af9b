"""The ticket page's transition forms (tickets/transition_table.py) and the triage form's
priority preview."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from accounts.models import User
from helpdesk.errors import ConflictError, DomainError
from idempotency.decorators import idempotent_form
from tickets.forms import ReplyForm, triage_priority
from tickets.models import Status, Ticket
from tickets.transition_table import BY_NAME, button_for, transition_form
from tickets.transitions import allowed_transitions
from tickets.views.base import int_param, post_else_ticket_page, staff_required, tracking_guarded
from tickets.views.page import preview_context, render_ticket
from tickets.views.writes import (
    back_to_ticket,
    form_error,
    gives_typed_text_back,
    refused,
    ticket_for_write,
)


@post_else_ticket_page
@tracking_guarded
@idempotent_form
@gives_typed_text_back
def ticket_transition(
    request: HttpRequest, name: str, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = ticket_for_write(request, pk, token)
    tracking = token is not None
    row = BY_NAME.get(name)
    if row is None or button_for(name, staff=staff) is None:
        raise Http404
    form = transition_form(name, data=request.POST, tier=ticket.tier, staff=staff)
    if name not in allowed_transitions(ticket=ticket, user=actor):
        refused(request, ticket, _("You cannot do this now."), staff=staff)
        return _refused_page(request, ticket, name, form, actor=actor, tracking=tracking)
    if not form.is_valid():
        return render_ticket(request, ticket, tracking=tracking, bound={name: form}, status=400)
    data = form.cleaned_data
    try:
        row.run(ticket, actor, data)
    except (TransitionNotAllowed, ConflictError):
        refused(request, ticket, _("Someone else changed this ticket first."), staff=staff)
        return _refused_page(request, ticket, name, form, actor=actor, tracking=tracking)
    except PermissionDenied as error:
        refused(request, ticket, str(error) or _("You are not allowed to do this."), staff=staff)
        return _refused_page(
            request, ticket, name, form, actor=actor, tracking=tracking, status=403
        )
    except DomainError as error:
        form_error(form, error)
        return render_ticket(request, ticket, tracking=tracking, bound={name: form}, status=400)
    messages.success(request, str(row.done))
    return back_to_ticket(ticket, tracking)


def _refused_page(
    request: HttpRequest,
    ticket: Ticket,
    name: str,
    form: Form,
    *,
    actor: User,
    tracking: bool,
    status: int = 409,
) -> HttpResponse:
    """A transition refused because the ticket moved on (another agent acted first from another
    tab): nothing was written. The page again, at the address the form was sent to, with the
    reason above it and the refusal's status (409, 403), whatever the form: a refused take or
    resume redirected to a 200 page while a refused hold with a reason answered 409, so scripts
    and tests read one as done. What was typed (a resolution summary, a reason) comes back: an
    agent's form open as it was sent, a requester's text in the reply box."""
    typed = [
        text
        for field in form.fields
        if (text := str(form.data.get(form.add_prefix(field), "")).strip())
    ]
    if typed and (tracking or actor.is_requester):
        return _requester_text_back(request, ticket, typed, tracking=tracking, status=status)
    ticket.refresh_from_db()
    if tracking or not actor.is_agent or not typed:
        return render_ticket(request, ticket, tracking=tracking, status=status)
    form.is_valid()  # cleaned (the triage form's preview reads it), its errors shown if any
    return render_ticket(request, ticket, bound={name: form}, status=status)


def _requester_text_back(
    request: HttpRequest, ticket: Ticket, typed: list[str], *, tracking: bool, status: int
) -> HttpResponse:
    """A requester's reopen (or withdrawal) refused because the ticket moved on meanwhile (it
    was closed, automatically or from another tab; or a reply already reopened it): the reason
    they typed was lost with the redirect. It comes back in the reply box, which reopens or
    reaches the team while the ticket is open, and can be copied into a new request once it is
    closed."""
    ticket.refresh_from_db()
    reply = ReplyForm({"reply-body": "\n\n".join(typed)}, prefix="reply")
    reply.is_valid()
    if ticket.status == Status.CLOSED:
        why = _(
            "Not sent: this request was closed meanwhile. What you wrote is below, to copy "
            "into a new request."
        )
    else:
        why = _(
            "Not sent: this request changed meanwhile. What you wrote is below: send it as a reply."
        )
    reply.add_error(None, why)
    return render_ticket(request, ticket, tracking=tracking, bound={"reply": reply}, status=status)


def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority the triage form's impact, urgency and override give (htmx), with the
    confirmation box when that is P1 or P2 (its state kept across refreshes)."""
    staff_required(request)
    get = request.GET
    override = int_param(get.get("triage-override"))
    if override not in range(1, 6):
        override = None
    priority = triage_priority(
        impact=get.get("triage-impact", ""),
        urgency=get.get("triage-urgency", ""),
        override=override,
    )
    return render(
        request,
        "tickets/_priority_preview.html",
        preview_context(
            priority, override=override is not None, confirmed=bool(get.get("triage-confirm"))
        ),
    )
