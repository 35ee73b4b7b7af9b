"""The ticket's conversation: replies and internal notes, and who else (support staff) is on
the ticket now."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idempotency.decorators import idempotent_form
from notifications.mentions import UnreachedMention, mentions_unreached, unreached_messages
from tickets import services
from tickets.collisions import parse_version
from tickets.forms import ReplyForm
from tickets.models import Status
from tickets.presence import presence_heartbeat, presence_leave
from tickets.selectors import ticket_get_for_user
from tickets.views.base import post_else_ticket_page, request_user, tracking_guarded
from tickets.views.writes import form_write, gives_typed_text_back, ticket_for_write


@post_else_ticket_page
@tracking_guarded
@idempotent_form
@gives_typed_text_back
def ticket_reply(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = ticket_for_write(request, pk, token)
    form = ReplyForm(request.POST, request.FILES, prefix="reply")

    # A requester's reply to a solved ticket reopens it (even a "thank you"): the page says so
    # beside the form, and the answer says it was done ("Reply sent." alone hid it).
    reopens = ticket.status == Status.RESOLVED and actor.pk == ticket.requester_id
    unreached: list[UnreachedMention] = []

    def write(data: dict[str, Any]) -> str:
        version = data["version"]
        comment = services.comment_create(
            ticket=ticket,
            actor=actor,
            body=data["body"],
            is_internal=data["is_internal"] and staff,
            files=data["attachments"],
            expected_version=parse_version(version, field=None) if version and staff else None,
        )
        unreached.extend(mentions_unreached(comment=comment, ticket=ticket, author=actor))
        if comment.is_internal:
            return _("Internal note added.")
        return _("Reply sent. The ticket is reopened.") if reopens else _("Reply sent.")

    response = form_write(
        request, ticket, form, key="reply", tracking=token is not None, staff=staff, write=write
    )
    # Saved, but an @name reached nobody (another tier, a requester, a typo): the author hears
    # of it under the "sent" message instead of believing the colleague was told.
    for text in unreached_messages(unreached):
        messages.warning(request, text)
    return response


@require_POST
def ticket_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent page's heartbeat (htmx, every HELPDESK_PRESENCE_SECONDS): records the agent on
    the ticket, typing a reply or not, and answers who else is on it. `leave=1` (the page
    closing) drops them. Support staff who may read the ticket only; 404 for anyone else."""
    user = request_user(request)
    if not (user.is_authenticated and user.is_staff_member):
        # A 404 even signed out: no login page swapped into the bar, nothing revealed.
        raise Http404
    ticket = ticket_get_for_user(user=user, ticket_id=pk)
    if request.POST.get("leave") == "1":
        presence_leave(ticket_id=ticket.pk, user=user)
        return HttpResponse(status=204)
    others = presence_heartbeat(
        ticket_id=ticket.pk,
        user=user,
        # Managers read without replying: they show as viewing, never typing.
        typing=request.POST.get("typing") == "1" and user.is_agent,
    )
    response = render(request, "tickets/_presence.html", {"viewers": others})
    response["Cache-Control"] = "no-store"
    return response
