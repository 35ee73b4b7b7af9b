"""The ticket page, for support staff and for the requester (signed in or through the secret
tracking link): the timeline, and the transitions the viewer may run, each with its button and
form from the transition table (tickets/transition_table.py)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from knowledge.selectors import canned_responses_for_ticket
from tickets.collisions import TicketChangedError, TicketVersion
from tickets.forms import URGENCY_FOR_REQUESTER, AttachmentForm, ReplyForm, TriageForm
from tickets.models import Attachment, Priority, Ticket
from tickets.presence import heartbeat_seconds
from tickets.selectors import (
    ticket_comments_for_user,
    ticket_events_for_user,
    ticket_get_by_tracking_token,
    ticket_get_for_user,
)
from tickets.transition_table import button_for, transition_form
from tickets.transitions import allowed_transitions
from tickets.views.base import (
    REQUESTER_STATUS,
    WRITTEN,
    reply_kept_while_signed_out,
    request_user,
    tracking_guarded,
)
from tickets.views.timeline import (
    TimelineItem,
    attachments_for,
    changed_items,
    event_item,
    merged_items,
    names_for_changes,
)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = ticket_get_for_user(user=request_user(request), ticket_id=pk)
    kept = reply_kept_while_signed_out(request, ticket.pk)
    if kept is None:
        return render_ticket(request, ticket)
    if kept.get("action"):
        return _action_kept_while_signed_out(request, ticket, kept["action"], kept["data"])
    # Back from signing in again: the reply that was not sent, in its box (to copy, if the
    # ticket was closed meanwhile), as the refusals give a text back.
    data = {"reply-body": kept["body"], "reply-is_internal": "true" if kept["internal"] else ""}
    messages.info(request, _("Your reply was not sent yet: it is in the box below."))
    return render_ticket(request, ticket, bound={"reply": ReplyForm(data, prefix="reply")})


def _action_kept_while_signed_out(
    request: HttpRequest, ticket: Ticket, name: str, data: dict[str, str]
) -> HttpResponse:
    """Back from signing in again: the action's form as it was sent, open, not yet run; or, if
    the ticket moved on meanwhile so that it no longer applies, why."""
    user = request_user(request)
    staff = user.is_staff_member
    if not button_for(name, staff=staff):
        messages.error(request, _("You cannot do this now."))
        return render_ticket(request, ticket)
    form = transition_form(name, data=data, tier=ticket.tier, staff=staff, ticket=ticket)
    if name in allowed_transitions(ticket=ticket, user=user):
        messages.info(request, _("What you wrote was not sent yet: it is in the form below."))
        return render_ticket(request, ticket, bound={name: form})
    # As a refusal from a stale tab: why, and what was written still there to copy (it was
    # dropped here): an agent's form open as sent, a requester's text in the reply box.
    messages.error(request, _("You cannot do this now."))
    if user.is_agent:
        form.is_valid()
        return render_ticket(request, ticket, bound={name: form})
    typed = [value.strip() for key, value in data.items() if key.rpartition("-")[2] in WRITTEN]
    if not any(typed):
        return render_ticket(request, ticket)
    reply = ReplyForm({"reply-body": "\n\n".join(filter(None, typed))}, prefix="reply")
    return render_ticket(request, ticket, bound={"reply": reply})


@tracking_guarded
def tracking(request: HttpRequest, token: str) -> HttpResponse:
    """The anonymous requester's page: whoever holds the secret link acts as the requester."""
    ticket = ticket_get_by_tracking_token(token=token)
    return render_ticket(request, ticket, tracking=True)


def render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    tracking: bool = False,
    bound: dict[str, forms.Form] | None = None,
    changed: TicketChangedError | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = ticket.requester if tracking else request_user(request)
    # Through the secret link the reader is the public: never internal notes, files or reasons.
    staff = viewer.is_staff_member and not tracking
    reader: Any = viewer if not tracking else AnonymousUser()
    comments = list(
        ticket_comments_for_user(user=reader, ticket=ticket).prefetch_related(None)
    )  # the comments (with their authors)
    attachments = attachments_for(ticket=ticket, staff=staff)  # every file, one query
    by_comment: dict[int | None, list[Attachment]] = {}
    for attachment in attachments:
        by_comment.setdefault(attachment.comment_id, []).append(attachment)
    events = list(ticket_events_for_user(user=reader, ticket=ticket))  # with their actors
    timeline = [TimelineItem.of_comment(c, by_comment.get(c.pk)) for c in comments]
    timeline.extend(merged_items(ticket=ticket, staff=staff))  # one query, or three
    names = names_for_changes(events) if staff else {}
    for event in events:
        item = event_item(event=event, reader=reader, staff=staff, names=names)
        if item is not None:
            timeline.append(item)
    timeline.sort(key=lambda item: (item.at, item.kind == "comment"))

    allowed = allowed_transitions(ticket=ticket, user=viewer)
    bound = bound or {}
    base = (
        reverse("tracking", args=[ticket.tracking_token])
        if tracking
        else reverse("ticket_detail", args=[ticket.pk])
    )
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": timeline,
        "files": by_comment.get(None, []),
        "all_files": attachments,
        "base": base,
        "tracking": tracking,
        "viewer": viewer,
        "reply_form": bound.get("reply") or ReplyForm(prefix="reply"),
        "attach_form": bound.get("attach") or AttachmentForm(prefix="attach"),
    }
    actions = [
        {
            "name": name,
            "label": button.label,
            "style": button.style,
            "form": bound.get(name)
            or transition_form(name, tier=ticket.tier, staff=staff, ticket=ticket),
            "sent_back": name in bound,
        }
        for name in allowed
        if (button := button_for(name, staff=staff)) is not None
    ]
    if staff:
        # A form sent back after the ticket moved on (another agent acted first) is shown even
        # though its action is no longer offered, open, so that what was typed can be copied.
        actions += [
            {
                "name": name,
                "label": button.label,
                "style": button.style,
                "form": form,
                "sent_back": True,
            }
            for name, form in bound.items()
            if name not in allowed and (button := button_for(name, staff=True)) is not None
        ]
        context.update(
            actions=actions,
            # The reply form carries what this page shows (after a refused reply: the version
            # its list of changes ends at, so "send anyway" covers exactly what was shown).
            reply_version=changed.version
            if changed
            else TicketVersion.of(comments=comments, events=events),
            changed=changed_items(changed, reader=reader, files=bool(request.FILES))
            if changed
            else None,
            presence_seconds=heartbeat_seconds(),
            read_only=not viewer.is_agent,
            first_action=actions[0]["name"]
            if actions and not bound and actions[0]["name"] in ("triage", "take", "resume")
            else "",
            canned=canned_responses_for_ticket(ticket=ticket, agent=viewer)
            if viewer.is_agent
            else [],
            # The forms sent back to be corrected, by name: the partials of other apps
            # (escalation's actions and calls) show these instead of new ones.
            bound_forms=bound,
            **_triage_context(ticket, actions),
        )
        template = "tickets/agent_ticket.html"
    else:
        context.update(
            actions=actions,
            plain_status=REQUESTER_STATUS[ticket.status],
            merged_into=_merged_into_for_requester(ticket),
            # A form of another app sent back with its errors (the rating form: csat).
            bound_forms=bound,
        )
        template = "tickets/requester_ticket.html"
    return render(request, template, context, status=status)


def _merged_into_for_requester(ticket: Ticket) -> Ticket | None:
    """Where a duplicate went, for its requester: only when that ticket is theirs too."""
    if ticket.merged_into_id is None:
        return None
    target = ticket.merged_into
    return target if target and target.requester_id == ticket.requester_id else None


def preview_context(
    priority: Priority | None, *, override: bool, confirmed: bool, errors: Any = ()
) -> dict[str, Any]:
    return {
        "label": str(priority.label) if priority is not None else "—",
        "override": override,
        "needs_confirm": priority is not None and priority <= Priority.P2,
        "confirmed": confirmed,
        "confirm_errors": errors,
    }


def _triage_context(ticket: Ticket, actions: list[dict[str, Any]]) -> dict[str, Any]:
    """The triage form's preview, computed from the form itself (so they agree), and what the
    requester chose when they asked."""
    form = next((a["form"] for a in actions if a["name"] == "triage"), None)
    if not isinstance(form, TriageForm):
        return {}
    data = form.cleaned_data if form.is_bound else form.initial
    priority = form.resulting_priority()
    return {
        "priority_preview": preview_context(
            priority,
            override=data.get("override") is not None,
            confirmed=bool(data.get("confirm")),
            errors=form.errors.get("confirm", ()),
        ),
        "requester_urgency": {str(k): v for k, v in URGENCY_FOR_REQUESTER}.get(ticket.urgency, ""),
    }
