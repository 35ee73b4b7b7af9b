"""No lost update on a reply: what changed on a ticket since a reader's page (or API read).

A ticket's *version*, for a reader, is the newest comment and the newest event they can see
("<comment id>-<event id>"). Ids grow in insert order, and every write to a ticket holds its
row lock (the services' recipe), so a writer that locks the row sees every earlier change of
that ticket committed: anything above the version is news to the reader. The reply form carries
the version its page showed; `comment_create(expected_version=…)` checks it under the ticket's
row lock and refuses with `TicketChangedError` (what changed, and the version now) when someone
else wrote since. Posting again with the new version is the "send anyway" confirmation.

SLA warnings (no one acted) and the reader's own writes (another tab) are not news.
"""

import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Q, Subquery
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import ConflictError, DomainError
from tickets.models import Comment, EventKind, Ticket, TicketEvent
from tickets.selectors import ticket_comments_for_user, ticket_events_for_user

_VERSION = re.compile(r'^\s*(?:W/)?"?(\d{1,18})-(\d{1,18})"?\s*$')


@dataclass(frozen=True, order=True)
class TicketVersion:
    comment_id: int
    event_id: int

    def __str__(self) -> str:
        return f"{self.comment_id}-{self.event_id}"

    @property
    def etag(self) -> str:
        return f'"{self}"'

    @classmethod
    def parse(cls, text: str) -> "TicketVersion":
        """'12-40' (or the ETag '"12-40"'); ValueError for anything else."""
        match = _VERSION.match(text or "")
        if match is None:
            raise ValueError(text)
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, *, comments: list[Comment], events: list[TicketEvent]) -> "TicketVersion":
        """From what a page already loaded (no query): every comment and event it shows."""
        return cls(max((c.pk for c in comments), default=0), max((e.pk for e in events), default=0))


def parse_version(text: str, *, field: str | None) -> TicketVersion:
    """A version a client sent back; one never given out (tampered, truncated) is a 400."""
    try:
        return TicketVersion.parse(text)
    except ValueError:
        raise DomainError(
            _("The ticket version is not valid: read the ticket again."), field=field
        ) from None


class TicketChangedError(ConflictError):
    """Someone else wrote on the ticket since the reader's version: nothing was saved."""

    def __init__(
        self, *, comments: list[Comment], events: list[TicketEvent], version: TicketVersion
    ) -> None:
        super().__init__(
            _("This ticket changed since you opened it. Read what changed, then send again.")
        )
        self.comments = comments
        self.events = events
        self.version = version


def ticket_version(*, ticket: Ticket, user: User | AnonymousUser) -> TicketVersion:
    """The reader's version of the ticket now: one query."""
    comments = ticket_comments_for_user(user=user, ticket=ticket).prefetch_related(None).order_by()
    events = ticket_events_for_user(user=user, ticket=ticket).order_by()
    newest = (
        Ticket.objects.filter(pk=ticket.pk)
        .values_list(
            Subquery(comments.values("ticket").annotate(m=Max("pk")).values("m")),
            Subquery(events.values("ticket").annotate(m=Max("pk")).values("m")),
        )
        .first()
    )
    comment_id, event_id = newest or (None, None)
    return TicketVersion(comment_id or 0, event_id or 0)


def ticket_changes_since(
    *, ticket: Ticket, user: User, since: TicketVersion
) -> tuple[list[Comment], list[TicketEvent]]:
    """What others wrote on the ticket after `since` that `user` can read: two queries (three
    when a comment has files)."""
    comments = list(
        ticket_comments_for_user(user=user, ticket=ticket)
        .filter(pk__gt=since.comment_id)
        .exclude(author=user)
    )
    events = list(
        ticket_events_for_user(user=user, ticket=ticket)
        .filter(pk__gt=since.event_id)
        .exclude(kind=EventKind.SLA)
        # Events the system wrote (no actor) are news; only the reader's own are not.
        .filter(Q(actor__isnull=True) | ~Q(actor=user))
    )
    return comments, events


def refuse_if_changed(*, ticket: Ticket, user: User, since: TicketVersion) -> None:
    """Raise TicketChangedError when others wrote since `since`. Call it holding the row lock."""
    comments, events = ticket_changes_since(ticket=ticket, user=user, since=since)
    if comments or events:
        raise TicketChangedError(
            comments=comments, events=events, version=ticket_version(ticket=ticket, user=user)
        )
