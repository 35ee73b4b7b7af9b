"""The live queue: each console polls a tiny endpoint that answers 304 while nothing it shows
has changed (docs/architecture.md, "Live queue").

What a console shows depends on a few "queue versions", opaque stamps in the shared cache (Redis,
HELPDESK_CACHE_URL): one per tier (its tickets) and one per agent (the tickets assigned to them).
A ticket saved anywhere — created, moved through a transition, assigned, re-prioritised —
stamps its tier and its assignee, before and after the change, once the transaction commits; the
SLA sweep stamps the tiers of the tickets whose clocks it warned about, breached or escalated,
and a public message stamps its ticket's (it moves a response clock). The console's rows are
rendered once per version and shared (tickets.views.console_queue.shared_results).
A poll's ETag is a hash of the versions of the tiers and agent it shows, of its filters and of the
minute (relative times and SLA colours move on by themselves): the poll costs one cache read and
no query of its own while the tag matches.

Failing open: with the cache unreachable there is no version and every poll renders (as a
reload would); a lost stamp is caught up by the minute in the tag.
"""

import hashlib
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from accounts.models import Role, User
from escalation.membership import agent_tiers
from helpdesk.gather import Gatherer, gathering
from tickets.models import ACTIVE_STATES, Priority, Ticket

# How often a console asks (seconds): a new P1 shows at most this long after its commit.
POLL_SECONDS = 4
# A poll reads the agent's tiers from the cache, not their support groups, for this long: joining
# or leaving a group shows in the live updates within this bound (a reload shows it at once).
TIERS_SECONDS = 60
# The P1 tickets a poll names for the announcement, newest first.
P1_LIMIT = 10
# Part of every tag: a change of what the endpoint renders invalidates every client's tag.
RENDER_VERSION = "2"


def _tier_key(tier: int) -> str:
    return f"live-queue:tier:{tier}"


def _agent_key(user_id: int) -> str:
    return f"live-queue:agent:{user_id}"


def live_queue_changed(*, tiers: Iterable[int | None], agents: Iterable[int | None] = ()) -> None:
    """Consoles showing these tiers, or these agents' own tickets, refresh on their next poll
    once the current transaction commits (at once outside one)."""
    keys = {_tier_key(tier) for tier in tiers if tier} | {
        _agent_key(agent) for agent in agents if agent
    }
    if keys:
        transaction.on_commit(lambda: _hand_over(keys), robust=True)


def _hand_over(keys: set[str]) -> None:
    if gathering():
        STAMPS.put(list(keys))  # stamped with other requests' keys (helpdesk.gather)
    else:
        _stamp(keys)


def _stamp(keys: Iterable[str]) -> None:
    stamp = uuid.uuid4().hex
    cache.set_many(dict.fromkeys(keys, stamp), timeout=None)


STAMPS: Gatherer[str] = Gatherer("live-queue stamps", send=_stamp)


@receiver(post_init, sender=Ticket)
def _remember_queue(sender: type[Ticket], instance: Ticket, **kwargs: Any) -> None:
    # The queue a ticket was loaded in, to stamp it too when the ticket leaves it. Read from
    # __dict__: a deferred field must not cost a query.
    instance._live_was = (instance.__dict__.get("tier"), instance.__dict__.get("assignee_id"))  # type: ignore[attr-defined]


@receiver(post_save, sender=Ticket)
def _ticket_saved(sender: type[Ticket], instance: Ticket, **kwargs: Any) -> None:
    was_tier, was_assignee = getattr(instance, "_live_was", (None, None))
    tier, assignee = instance.__dict__.get("tier"), instance.__dict__.get("assignee_id")
    live_queue_changed(tiers=(was_tier, tier), agents=(was_assignee, assignee))
    instance._live_was = (tier, assignee)  # type: ignore[attr-defined]


def live_tiers(*, user: User) -> frozenset[int]:
    """`agent_tiers`, kept in the cache for TIERS_SECONDS (and memoised on the user as
    agent_tiers does): a poll reads no support group."""
    key = f"live-queue:tiers:{user.pk}"
    cached = cache.get(key)
    if cached is not None:
        tiers = frozenset(int(tier) for tier in cached)
        user._agent_tiers = tiers  # type: ignore[attr-defined]
        return tiers
    tiers = agent_tiers(user=user)
    cache.set(key, sorted(tiers), TIERS_SECONDS)
    return tiers


def queue_versions(*, user: User, tiers: Iterable[int]) -> dict[str, str] | None:
    """The versions of these tiers and of the user's own tickets ("mine"), by tab key
    (l1, l2, l3, mine), each created on first use; None when the cache does not answer (it
    fails open: every read a miss)."""
    keys = {f"l{tier}": _tier_key(tier) for tier in tiers}
    keys["mine"] = _agent_key(user.pk)
    found = cache.get_many(list(keys.values()))
    if len(found) < len(keys):
        for key in set(keys.values()) - found.keys():
            cache.add(key, uuid.uuid4().hex, timeout=None)
        found = cache.get_many(list(keys.values()))
        if len(found) < len(keys):
            return None
    return {tab: str(found[key]) for tab, key in keys.items()}


def queue_etag(*, user: User, versions: dict[str, str] | None, query: str, now: float) -> str:
    """The tag of what a console shows (quoted, as the header carries it); "" without versions."""
    if versions is None:
        return ""
    parts = [
        RENDER_VERSION,
        str(user.pk),
        getattr(user, "language", ""),
        query,
        str(int(now // 60)),
        *(f"{tab}={version}" for tab, version in sorted(versions.items())),
    ]
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def now_seconds() -> float:
    return time.time()


def p1_tiers(*, user: User) -> frozenset[int]:
    """Where a new P1 is announced to this user: the tiers they work at; a manager's, all."""
    if user.role == Role.MANAGER:
        return frozenset({1, 2, 3})
    return agent_tiers(user=user)


def open_p1_tickets(*, user: User) -> list[Ticket]:
    """The newest open P1 tickets of the user's tiers (on the partial index
    ticket_open_priority_idx: its open states include the active ones)."""
    tiers = p1_tiers(user=user)
    if not tiers:
        return []
    return list(
        Ticket.objects.filter(tier__in=tiers, priority=Priority.P1, status__in=ACTIVE_STATES)
        .only("id", "kind", "title", "tier")
        .order_by("-id")[:P1_LIMIT]
    )
