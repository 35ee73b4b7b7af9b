"""@username mentions in an agent's note or reply: which support staff they name."""

import re

from accounts.models import Role, User, normalize_identity
from tickets.models import Ticket

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


def mentioned_staff(*, body: str, ticket: Ticket, author: User) -> list[User]:
    """The active agents and managers a text mentions who may read the ticket (not the author).

    Only support staff: a requester is never told about a note, internal or not. One query for
    the names; one per named agent to check they may read the ticket (an agent of another tier
    learns nothing of a ticket they cannot open).
    """
    # Imported here: tickets.services imports this module and tickets.selectors imports SLA.
    from tickets.selectors import tickets_visible_to

    names = mentioned_names(body)
    if not names:
        return []
    staff = User.objects.filter(
        username__in=names, role__in=[Role.AGENT, Role.MANAGER], is_active=True
    ).exclude(pk=author.pk)
    return [
        user
        for user in staff.order_by("pk")
        if tickets_visible_to(user=user).filter(pk=ticket.pk).exists()
    ]


def register_email_context() -> None:
    """The managers' template preview names a sample author (the real row carries one)."""
    from notifications.models import NotificationKind
    from notifications.services import register_context_builder

    register_context_builder(
        kind=NotificationKind.MENTIONED, build=lambda _notification: {}, sample=_sample_context
    )


def _sample_context() -> dict[str, str]:
    return {"author": "Luis Pérez"}
