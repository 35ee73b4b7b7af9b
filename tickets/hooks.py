"""What a ticket write publishes, and who reacts (docs/architecture.md, "Ticket hooks").

The ticket core (tickets.services) imports none of the apps that react to its writes: it
publishes what happened — one of the event classes below — and the reactions registered for that
class run, in the order `ORDER` gives, synchronously and inside the write's transaction (they
see the locked row; what they write commits or rolls back with it). A reaction that raises
aborts the write: the exception reaches the caller and the whole transaction rolls back.

Each app registers its reactions in its AppConfig.ready() with `react`, under a name that must
appear in `ORDER` for that event: the order lives here, in one place, not in INSTALLED_APPS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

from accounts.models import User
from tickets.models import Comment, Ticket, TicketEvent


@dataclass(frozen=True)
class TicketCreated:
    """A ticket and its `created` event were saved (files stored too)."""

    ticket: Ticket
    event: TicketEvent
    at: datetime


@dataclass(frozen=True)
class TicketSaving:
    """A transition is about to save the locked row; its event is built but not saved.

    Reactions return the names of the ticket fields they set: they go out in the same UPDATE.
    """

    ticket: Ticket
    event: TicketEvent
    at: datetime


@dataclass(frozen=True)
class TicketTransitioned:
    """A transition saved the row and its event (`event` None: nothing changed).

    `reroute`: the transition set what routing reads (kind, category, priority)."""

    ticket: Ticket
    event: TicketEvent | None
    actor: User | None
    at: datetime
    reroute: bool = False


@dataclass(frozen=True)
class TicketReassigned:
    """An agent handed the ticket to another agent of its tier (a change event, no transition)."""

    ticket: Ticket
    event: TicketEvent
    actor: User | None


@dataclass(frozen=True)
class TicketChanged:
    """Details or classification edited without a state change (`event` None: nothing changed).

    `reroute`: category, impact, urgency or priority were among the edited fields."""

    ticket: Ticket
    event: TicketEvent | None
    actor: User
    at: datetime
    reroute: bool = False


@dataclass(frozen=True)
class TicketRerouted:
    """Routing put the ticket in another queue (tier or group) after a transition or edit."""

    ticket: Ticket
    at: datetime


@dataclass(frozen=True)
class TicketResolved:
    """An agent resolved the ticket (ticket_resolve; not a resolution that follows a parent)."""

    ticket: Ticket
    actor: User


@dataclass(frozen=True)
class TicketClosed:
    """The resolution was confirmed and the ticket closed (ticket_close)."""

    ticket: Ticket
    at: datetime


@dataclass(frozen=True)
class TicketMerged:
    """`duplicate` was closed into `into` and `into` got its change event."""

    duplicate: Ticket
    into: Ticket
    actor: User


@dataclass(frozen=True)
class CommentCreated:
    """A reply or note (and its files) was saved; the ticket has not followed it yet."""

    ticket: Ticket
    comment: Comment
    at: datetime


@dataclass(frozen=True)
class CommentFollowed:
    """The ticket followed a reply or note: a requester's resumed or reopened it, an agent's
    first public reply set `first_response_at` (`first_response` True)."""

    ticket: Ticket
    comment: Comment
    actor: User
    by_requester: bool
    first_response: bool


# The reactions to each event, in the order they run. Each name is "<app>.<what it does>";
# docs/architecture.md says what each one does. A name registered for an event that is not
# listed here is refused at start-up.
ORDER: dict[type, tuple[str, ...]] = {
    TicketCreated: ("escalation.route", "sla.start_clocks", "notifications.ticket_created"),
    TicketSaving: ("sla.move_clocks",),
    TicketTransitioned: ("notifications.status_changed", "escalation.reroute", "chat.post"),
    TicketReassigned: ("notifications.status_changed",),
    TicketChanged: ("escalation.reroute", "chat.post", "sla.move_clocks"),
    TicketRerouted: ("ola.follow_tier",),
    TicketResolved: ("incidents.follow_parent",),
    TicketClosed: ("csat.ask",),
    TicketMerged: ("notifications.merged",),
    CommentCreated: ("sla.reply_clocks",),
    CommentFollowed: ("tickets.live_queue", "notifications.reply", "notifications.mentions"),
}

E = TypeVar("E")
_reactions: dict[type, dict[str, Callable[[Any], Any]]] = {kind: {} for kind in ORDER}


def react(event: type[E], name: str, reaction: Callable[[E], Any]) -> None:
    """Register `reaction` to `event` under `name` (from an AppConfig.ready()).

    Registering the same name again replaces the reaction (ready() may run twice in tests)."""
    if name not in ORDER.get(event, ()):
        raise ImproperlyConfigured(
            f"{name!r} is not a reaction to {event.__name__}: add it to tickets.hooks.ORDER"
        )
    _reactions[event][name] = reaction


def publish(event: object) -> list[Any]:
    """Run the reactions to `event` in order; their return values, in the same order."""
    registered = _reactions[type(event)]
    return [registered[name](event) for name in ORDER[type(event)] if name in registered]
