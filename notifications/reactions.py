"""Who hears of what happens to a ticket: the notifications app's reactions to the ticket hooks
(tickets.hooks; registered in notifications.apps). Each writes outbox rows in the write's
transaction; Celery gets them on commit."""

from accounts.models import Role, User
from notifications.mentions import comment_mentions
from notifications.models import NotificationKind
from notifications.services import notification_enqueue, notification_fan_out
from tickets.hooks import (
    CommentFollowed,
    TicketCreated,
    TicketMerged,
    TicketReassigned,
    TicketTransitioned,
)
from tickets.models import Status, Ticket, TicketEvent

# Status changes the requester hears about by email.
REQUESTER_NOTIFIED_STATES = {Status.ESCALATED, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}


def notify_ticket_created(created: TicketCreated) -> None:
    """The requester gets the acknowledgement of their new ticket."""
    notification_enqueue(
        recipient=created.ticket.requester,
        kind=NotificationKind.TICKET_CREATED,
        ticket=created.ticket,
        cause=f"ticket:{created.ticket.pk}",
    )


def notify_status_changed(change: TicketTransitioned | TicketReassigned) -> None:
    """The requester hears of the states they care about, the tier of an escalation, the new
    assignee (unless they assigned it to themselves)."""
    ticket, event, actor = change.ticket, change.event, change.actor
    if event is None:
        return
    if event.to_status in REQUESTER_NOTIFIED_STATES and event.from_status != event.to_status:
        shows_summary = event.to_status == Status.RESOLVED or event.transition == "cancel"
        context = {
            "to_status": event.to_status,
            "summary": ticket.resolution_summary if shows_summary else "",
            "reason": "" if event.reason_is_internal else event.reason,
        }
        if event.transition == "merge":
            context.update(_merge_context(ticket))
        notification_enqueue(
            recipient=ticket.requester,
            kind=NotificationKind.STATUS_CHANGED,
            ticket=ticket,
            cause=f"event:{event.pk}",
            context=context,
        )
    # An escalation on a breach too: the tier it reaches learns of it as of a manual one.
    if event.transition in ("escalate", "escalate_for_breach"):
        _notify_tier_of_escalation(ticket=ticket, event=event, actor=actor)
    new_assignee = ticket.assignee
    if (
        new_assignee is not None
        and "assignee_id" in event.changes
        and actor is not None
        and new_assignee.pk != actor.pk
    ):
        notification_enqueue(
            recipient=new_assignee,
            kind=NotificationKind.ASSIGNED,
            ticket=ticket,
            cause=f"event:{event.pk}",
        )


def _notify_tier_of_escalation(*, ticket: Ticket, event: TicketEvent, actor: User | None) -> None:
    """Every active agent of the tier the ticket was escalated to hears of it (reason included:
    they are staff)."""
    agents = User.objects.filter(
        support_groups__tier=ticket.tier, role=Role.AGENT, is_active=True
    ).distinct()
    if actor is not None:
        agents = agents.exclude(pk=actor.pk)
    notification_fan_out(
        recipients=agents,
        kind=NotificationKind.ESCALATED_TO_TIER,
        ticket=ticket,
        cause=f"event:{event.pk}",
        context={"reason": event.reason},
    )


def _merge_context(ticket: Ticket) -> dict[str, str]:
    """The duplicate's requester learns where it went only when that ticket is theirs too."""
    target = ticket.merged_into
    same = target is not None and target.requester_id == ticket.requester_id
    return {"duplicate": "1", "merged_into": target.reference if same and target else ""}


def notify_merged(merged: TicketMerged) -> None:
    """The other ticket's requester, when someone else, hears that a duplicate joined it (the
    email names nobody); the duplicate's requester already had its status email."""
    into = merged.into
    if into.requester_id != merged.duplicate.requester_id:
        notification_enqueue(
            recipient=into.requester,
            kind=NotificationKind.TICKET_MERGED,
            ticket=into,
            cause=f"merge:{merged.duplicate.pk}",
        )


def notify_reply(followed: CommentFollowed) -> None:
    """A requester's message goes to the assignee; an agent's public reply to the requester."""
    ticket, comment = followed.ticket, followed.comment
    if followed.by_requester:
        if ticket.assignee_id:
            notification_enqueue(
                recipient=ticket.assignee,  # type: ignore[arg-type]
                kind=NotificationKind.REQUESTER_REPLIED,
                ticket=ticket,
                cause=f"comment:{comment.pk}",
                context={"comment_id": str(comment.pk)},
            )
    elif not comment.is_internal:
        notification_enqueue(
            recipient=ticket.requester,
            kind=NotificationKind.PUBLIC_REPLY,
            ticket=ticket,
            cause=f"comment:{comment.pk}",
            context={"comment_id": str(comment.pk)},
        )


def notify_mentions(followed: CommentFollowed) -> None:
    """The agents and managers an agent's note or reply names (@username) hear of it."""
    if followed.by_requester:
        return
    comment, actor = followed.comment, followed.actor
    mentioned = comment_mentions(comment=comment, ticket=followed.ticket, author=actor).notified
    if mentioned:
        notification_fan_out(
            recipients=mentioned,
            kind=NotificationKind.MENTIONED,
            ticket=followed.ticket,
            cause=f"comment:{comment.pk}",
            context={"comment_id": str(comment.pk), "author": actor.name},
        )
