"""@username mentions in an agent's note or reply: which support staff they name."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Role, User, normalize_identity
from helpdesk.text import isolated
from tickets.models import Comment, Ticket

# `@name` not preceded by a word character, a dot or another @ (an email address is no mention);
# a user name is letters, digits and . + - _ (a trailing dot ends the sentence, not the name).
MENTION = re.compile(r"(?<![\w.@])@(\w[\w.+-]*)")
# A note naming more people than this is a broadcast, not a mention: the rest are ignored.
MAX_MENTIONS = 20


def mentioned_names(body: str) -> list[str]:
    """The user names a text mentions, normalised as stored, in order, each once."""
    names: dict[str, None] = {}
    for match in MENTION.finditer(body):
        names.setdefault(normalize_identity(match.group(1).rstrip(".")), None)
    return list(names)[:MAX_MENTIONS]


class Unreached(models.TextChoices):
    """Why a mention notified nobody (the label is said to its author)."""

    # No active account has that user name (a typo, a departed colleague, "@echo" in a log).
    NO_ACCOUNT = "no_account", gettext_lazy("No active account has this user name.")
    # A requester or a security officer: never told of a note.
    NOT_STAFF = "not_staff", gettext_lazy("Only agents and managers can be mentioned.")
    # Support staff who cannot open the ticket (another tier).
    NO_ACCESS = "no_access", gettext_lazy("They cannot open this ticket.")


@dataclass(frozen=True)
class UnreachedMention:
    name: str  # the user name as mentioned, normalised
    reason: Unreached


@dataclass(frozen=True)
class Mentions:
    notified: list[User] = field(default_factory=list)
    unreached: list[UnreachedMention] = field(default_factory=list)


def mentions_resolve(*, body: str, ticket: Ticket, author: User) -> Mentions:
    """Whom a text's mentions notify: the active agents and managers it names who may read the
    ticket (not the author), and for every other name why not.

    Only support staff: a requester is never told about a note, internal or not. One query for
    the names; one per named agent to check they may read the ticket (an agent of another tier
    learns nothing of a ticket they cannot open).
    """
    # Imported here: tickets.services imports this module and tickets.selectors imports SLA.
    from tickets.selectors import tickets_visible_to

    names = mentioned_names(body)
    if not names:
        return Mentions()
    found = {
        user.username: user
        for user in User.objects.filter(username__in=names, is_active=True).order_by("pk")
    }
    result = Mentions()
    for name in names:
        user = found.get(name)
        if user is None:
            result.unreached.append(UnreachedMention(name, Unreached.NO_ACCOUNT))
        elif user.pk == author.pk:
            continue
        elif user.role not in (Role.AGENT, Role.MANAGER):
            result.unreached.append(UnreachedMention(name, Unreached.NOT_STAFF))
        elif not tickets_visible_to(user=user).filter(pk=ticket.pk).exists():
            result.unreached.append(UnreachedMention(name, Unreached.NO_ACCESS))
        else:
            result.notified.append(user)
    result.notified.sort(key=lambda user: user.pk)
    return result


def comment_mentions(*, comment: Comment, ticket: Ticket, author: User) -> Mentions:
    """`mentions_resolve` of a comment's text, once per comment object: the reaction that
    notifies (notifications.reactions) and the answer to the author (`mentions_unreached`)
    read one result instead of querying the names and their access twice."""
    resolved: Mentions | None = getattr(comment, "_mentions", None)
    if resolved is None:
        resolved = mentions_resolve(body=comment.body, ticket=ticket, author=author)
        comment._mentions = resolved  # type: ignore[attr-defined]
    return resolved


def mentions_unreached(*, comment: Comment, ticket: Ticket, author: User) -> list[UnreachedMention]:
    """The names of a just-written comment that notified nobody, and why, for its author (the
    page's message, the API's answer). None for a requester's own text, which mentions nobody
    (notifications.reactions.notify_mentions)."""
    if author.pk == ticket.requester_id or not author.is_staff_member:
        return []
    return comment_mentions(comment=comment, ticket=ticket, author=author).unreached


def unreached_messages(unreached: list[UnreachedMention]) -> list[str]:
    """One sentence per reason, naming the mentions it concerns, in the active language; in the
    singular for one name ("they cannot", "no pueden" were said of a single colleague too)."""
    texts: dict[Unreached, Callable[[int], str]] = {
        Unreached.NO_ACCESS: lambda count: ngettext(
            "Not notified, as this person cannot open this ticket: %(names)s.",
            "Not notified, as these people cannot open this ticket: %(names)s.",
            count,
        ),
        Unreached.NOT_STAFF: lambda count: ngettext(
            "Not notified, as only agents and managers can be mentioned, and this person is "
            "neither: %(names)s.",
            "Not notified, as only agents and managers can be mentioned, and these people are "
            "neither: %(names)s.",
            count,
        ),
        Unreached.NO_ACCOUNT: lambda count: ngettext(
            "Not notified, as there is no active account with this user name: %(names)s.",
            "Not notified, as there is no active account with these user names: %(names)s.",
            count,
        ),
    }
    messages = []
    for reason, text in texts.items():
        names = [isolated(f"@{m.name}") for m in unreached if m.reason == reason]
        if names:
            messages.append(text(len(names)) % {"names": ", ".join(names)})
    return messages


def register_email_context() -> None:
    """The managers' template preview names a sample author (the real row carries one)."""
    from notifications.models import NotificationKind
    from notifications.services import register_context_builder

    register_context_builder(
        kind=NotificationKind.MENTIONED, build=lambda _notification: {}, sample=_sample_context
    )


def _sample_context() -> dict[str, str]:
    return {"author": "Luis Pérez"}
