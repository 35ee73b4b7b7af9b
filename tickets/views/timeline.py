"""The ticket page's timeline: comments, events and the duplicates merged in, each in the
words its reader may see (never internal notes, files or reasons for the public)."""

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from escalation.models import Tier
from tickets.collisions import TicketChangedError
from tickets.models import (
    Attachment,
    Category,
    ClosureCode,
    Comment,
    EventKind,
    Kind,
    Level,
    Priority,
    Ticket,
    TicketEvent,
)
from tickets.models_choices import IMPACT_LABELS, URGENCY_LABELS
from tickets.selectors import INTERNAL_STEPS, event_reason_for_user
from tickets.system_reasons import system_reason_display
from tickets.transition_table import event_label
from tickets.views.base import REQUESTER_STATUS


@dataclasses.dataclass
class TimelineItem:
    at: datetime
    kind: str  # "comment" | "event" | "merged" (a duplicate merged into this ticket)
    internal: bool
    comment: Comment | None = None
    merged: Ticket | None = None
    from_ref: str = ""  # the duplicate this item comes from, shown "from INC-…"
    event: TicketEvent | None = None
    label: Any = ""
    status_label: Any = ""
    reason: str = ""
    changes: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    attachments: list[Attachment] = dataclasses.field(default_factory=list)

    @classmethod
    def of_comment(
        cls, comment: Comment, files: list[Attachment] | None = None, from_ref: str = ""
    ) -> "TimelineItem":
        return cls(
            at=comment.created_at,
            kind="comment",
            internal=comment.is_internal,
            comment=comment,
            attachments=files or [],
            from_ref=from_ref,
        )


def merged_visibility(*, ticket: Ticket, staff: bool) -> Q:
    """Which duplicates merged into `ticket` a reader of it sees: staff all; anyone else (the
    requester, a colleague their organisation shares with, the tracking link) only those with
    the same requester — never another person's words or files."""
    visible = Q(merged_into=ticket)
    return visible if staff else visible & Q(requester_id=ticket.requester_id)


def merged_items(*, ticket: Ticket, staff: bool) -> list[TimelineItem]:
    """The duplicates merged into this ticket, each as its opening message, its comments and
    their files, marked "from INC-…". Internal notes and files only for staff."""
    merged = list(
        Ticket.objects.filter(merged_visibility(ticket=ticket, staff=staff))
        .select_related("requester")
        .order_by("pk")
    )
    if not merged:
        return []
    comments = Comment.objects.filter(ticket__in=merged).select_related("author")
    files = Attachment.objects.filter(ticket__in=merged).order_by("created_at", "id")
    if not staff:
        comments = comments.filter(is_internal=False)
        files = files.filter(is_internal=False)
    by_comment: dict[int, list[Attachment]] = {}
    by_ticket: dict[int, list[Attachment]] = {}
    for attachment in files:
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
        else:
            by_ticket.setdefault(attachment.ticket_id, []).append(attachment)
    references = {t.pk: t.reference for t in merged}
    items = [
        TimelineItem(
            at=t.created_at,
            kind="merged",
            internal=False,
            merged=t,
            attachments=by_ticket.get(t.pk, []),
            from_ref=t.reference,
        )
        for t in merged
    ]
    items.extend(
        TimelineItem.of_comment(c, by_comment.get(c.pk), from_ref=references[c.ticket_id])
        for c in comments
    )
    return items


def attachments_for(*, ticket: Ticket, staff: bool) -> list[Attachment]:
    files = Attachment.objects.filter(ticket=ticket).order_by("created_at", "id")
    if not staff:
        files = files.filter(is_internal=False)
    return list(files)


def names_for_changes(events: list[TicketEvent]) -> dict[str, dict[int, str]]:
    """Names of the users and categories that events' changes refer to: at most two queries."""
    user_ids, category_ids = set(), set()
    for event in events:
        for value in event.changes.get("assignee_id", []):
            if value:
                user_ids.add(value)
        for value in event.changes.get("category_id", []):
            if value:
                category_ids.add(value)
    names: dict[str, dict[int, str]] = {"assignee_id": {}, "category_id": {}}
    if user_ids:
        names["assignee_id"] = {u.pk: u.name for u in User.objects.filter(pk__in=user_ids)}
    if category_ids:
        names["category_id"] = {
            c.pk: c.path
            for c in Category.objects.filter(pk__in=category_ids).select_related("parent")
        }
    return names


CHANGE_LABELS: dict[str, Any] = {
    "kind": gettext_lazy("kind"),
    "title": gettext_lazy("title"),
    "category_id": gettext_lazy("category"),
    "impact": gettext_lazy("impact"),
    "urgency": gettext_lazy("urgency"),
    "priority": gettext_lazy("priority"),
    "tier": gettext_lazy("tier"),
    "assignee_id": gettext_lazy("assignee"),
    "closure_code": gettext_lazy("closure code"),
    "merged_into_id": gettext_lazy("merged into"),
    "merged_ticket_id": gettext_lazy("duplicate merged in"),
}


CHOICES: dict[str, Callable[[Any], Any]] = {
    "kind": lambda v: Kind(v).label,
    "impact": lambda v: IMPACT_LABELS[Level(v)],
    "urgency": lambda v: URGENCY_LABELS[Level(v)],
    "priority": lambda v: Priority(v).label,
    "tier": lambda v: Tier(v).label,
    "closure_code": lambda v: ClosureCode(v).label,
    "merged_into_id": lambda v: f"#{v}",
    "merged_ticket_id": lambda v: f"#{v}",
}


def event_item(
    *, event: TicketEvent, reader: Any, staff: bool, names: dict[str, dict[int, str]]
) -> TimelineItem | None:
    if not staff and event.transition in INTERNAL_STEPS:
        return None
    if event.kind == EventKind.CREATED:
        label = _("opened the ticket")
    elif event.kind == EventKind.TRANSITION:
        label = event_label(event.transition)
    elif not staff:
        return None  # field changes, SLA and management events are for the support team
    else:
        label = event.get_kind_display()
    changes = []
    if staff:
        for field, pair in event.changes.items():
            # Only [old, new] pairs of known fields: call events record other shapes.
            if field not in CHANGE_LABELS or not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            old, new = pair
            changes.append(
                (
                    str(CHANGE_LABELS[field]),
                    _change_value(field, old, names),
                    _change_value(field, new, names),
                )
            )
    status_label: Any = ""
    if event.to_status and event.from_status != event.to_status:
        status_label = event.get_to_status_display() if staff else REQUESTER_STATUS[event.to_status]
    return TimelineItem(
        at=event.created_at,
        kind="event",
        status_label=status_label,
        internal=event.kind not in (EventKind.CREATED, EventKind.TRANSITION),
        event=event,
        label=label,
        reason=_reason(reader, event),
        changes=changes,
    )


def _reason(reader: Any, event: TicketEvent) -> str:
    reason = event_reason_for_user(user=reader, event=event)
    # The system's own words (SLA, OLA) in the reader's language; a person's as they wrote them.
    return system_reason_display(reason) if event.actor_id is None and reason else reason


def _change_value(field: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    if value in (None, ""):
        return "—"
    if field in names:
        return names[field].get(value, f"#{value}")
    try:
        return str(CHOICES[field](value)) if field in CHOICES else str(value)
    except ValueError:
        return str(value)


@dataclasses.dataclass
class ChangedSince:
    """What others wrote since the agent's page was rendered, shown above the reply form."""

    items: list[TimelineItem]
    files_dropped: bool  # the refused reply had files: the browser cannot keep them


def changed_items(changed: TicketChangedError, *, reader: Any, files: bool) -> ChangedSince:
    items = [TimelineItem.of_comment(c) for c in changed.comments]
    names = names_for_changes(changed.events)
    for event in changed.events:
        item = event_item(event=event, reader=reader, staff=True, names=names)
        if item is not None:
            items.append(item)
    items.sort(key=lambda item: (item.at, item.kind == "comment"))
    return ChangedSince(items=items, files_dropped=files)
