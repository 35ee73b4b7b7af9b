"""Who else has a ticket page open, and who is typing a reply (collision detection).

Presence is short-lived and never worth a database write: each ticket page sends a heartbeat
every HELPDESK_PRESENCE_SECONDS (htmx), and a viewer not heard from for VIEWING_BEATS
heartbeats has left. On the shared cache (Redis, HELPDESK_CACHE_URL) a ticket is one hash,
`user id → {name, seen, typing}`, written field by field (two agents never overwrite each other)
and expiring as a whole once nobody beats. With another cache (the embedded mode's local
memory) the same entries are one cache value, changed under a lock: right within one process.

The entries carry their own times and every read filters them against `now`, so freshness never
depends on when Redis expires a key (and tests pass `now`). Failing open: with Redis unreachable
a heartbeat records nothing and everyone appears alone; the page and the reply work as ever.

Only support staff appear or look (the callers check it): a requester is never shown, and never
sees who is on their ticket.
"""

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import User

logger = logging.getLogger(__name__)

VIEWING_BEATS = 4  # missed heartbeats before a viewer counts as gone
TYPING_BEATS = 2  # heartbeats a "typing" flag lasts without a new keystroke

_local_lock = threading.Lock()  # the local-memory fallback's read-modify-write


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def heartbeat_seconds() -> int:
    return max(1, settings.HELPDESK_PRESENCE_SECONDS)


def _viewing_seconds() -> float:
    return heartbeat_seconds() * VIEWING_BEATS


def _typing_seconds() -> float:
    return heartbeat_seconds() * TYPING_BEATS


def _stamp(now: datetime | None) -> float:
    return (now or timezone.now()).timestamp()


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _fresh(entries: dict[int, dict[str, Any]], *, at: float) -> tuple[list[Viewer], list[int]]:
    """The viewers still here at `at` (by name: the list does not reshuffle on each beat), and
    the ids of those gone."""
    here, gone = [], []
    for user_id, entry in entries.items():
        if at - entry["seen"] >= _viewing_seconds():
            gone.append(user_id)
            continue
        typing = bool(entry["typing"]) and at - entry["typing"] < _typing_seconds()
        here.append(Viewer(user_id, entry["name"], typing))
    here.sort(key=lambda viewer: (viewer.name.casefold(), viewer.user_id))
    return here, gone


class _RedisPresence:
    """One hash per ticket on the shared Redis cache; one round trip per heartbeat."""

    def __init__(self, backend: RedisCache) -> None:
        self.backend = backend

    def _client(self, key: str) -> Any:
        return self.backend._cache.get_client(key, write=True)  # type: ignore[attr-defined]

    def beat(
        self, ticket_id: int, user_id: int, entry: dict[str, Any], *, at: float
    ) -> list[Viewer]:
        key = self.backend.make_key(_key(ticket_id))
        client = self._client(key)
        pipe = client.pipeline(transaction=False)
        pipe.hset(key, user_id, json.dumps(entry))
        pipe.expire(key, int(_viewing_seconds()) + 1)
        pipe.hgetall(key)
        *_written, raw = pipe.execute()
        return self._read(client, key, raw, at=at)

    def viewers(self, ticket_id: int, *, at: float) -> list[Viewer]:
        key = self.backend.make_key(_key(ticket_id))
        client = self._client(key)
        return self._read(client, key, client.hgetall(key), at=at)

    def leave(self, ticket_id: int, user_id: int) -> None:
        key = self.backend.make_key(_key(ticket_id))
        self._client(key).hdel(key, user_id)

    def _read(self, client: Any, key: str, raw: dict[bytes, bytes], *, at: float) -> list[Viewer]:
        entries = {int(field): json.loads(value) for field, value in raw.items()}
        here, gone = _fresh(entries, at=at)
        if gone:
            client.hdel(key, *gone)
        return here


class _CachePresence:
    """Any other Django cache (local memory in one process): one value per ticket."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def beat(
        self, ticket_id: int, user_id: int, entry: dict[str, Any], *, at: float
    ) -> list[Viewer]:
        with _local_lock:
            entries = self.backend.get(_key(ticket_id)) or {}
            entries[user_id] = entry
            here, gone = _fresh(entries, at=at)
            for user_id_gone in gone:
                del entries[user_id_gone]
            self.backend.set(_key(ticket_id), entries, timeout=_viewing_seconds() + 1)
        return here

    def viewers(self, ticket_id: int, *, at: float) -> list[Viewer]:
        return _fresh(self.backend.get(_key(ticket_id)) or {}, at=at)[0]

    def leave(self, ticket_id: int, user_id: int) -> None:
        with _local_lock:
            entries = self.backend.get(_key(ticket_id)) or {}
            if entries.pop(user_id, None) is not None:
                self.backend.set(_key(ticket_id), entries, timeout=_viewing_seconds() + 1)


def _store() -> _RedisPresence | _CachePresence:
    backend = caches["default"]
    return _RedisPresence(backend) if isinstance(backend, RedisCache) else _CachePresence(backend)


def presence_heartbeat(
    *, ticket_id: int, user: User, typing: bool, now: datetime | None = None
) -> list[Viewer]:
    """Record that `user` has the ticket open (and is typing a reply, or not); return everyone
    else on it. Empty when the shared cache is unreachable."""
    at = _stamp(now)
    entry = {"name": user.name, "seen": at, "typing": at if typing else 0}
    try:
        viewers = _store().beat(ticket_id, user.pk, entry, at=at)
    except (RedisError, OSError) as error:
        logger.warning("presence unavailable, carrying on without it: %s", error)
        return []
    return [viewer for viewer in viewers if viewer.user_id != user.pk]


def presence_viewers(
    *, ticket_id: int, exclude: User | None = None, now: datetime | None = None
) -> list[Viewer]:
    """Who has the ticket open now (without recording the reader)."""
    try:
        viewers = _store().viewers(ticket_id, at=_stamp(now))
    except (RedisError, OSError) as error:
        logger.warning("presence unavailable, carrying on without it: %s", error)
        return []
    return [viewer for viewer in viewers if exclude is None or viewer.user_id != exclude.pk]


def presence_leave(*, ticket_id: int, user: User) -> None:
    """The user closed the page: drop them at once rather than when their entry goes stale."""
    try:
        _store().leave(ticket_id, user.pk)
    except (RedisError, OSError) as error:
        logger.warning("presence unavailable, carrying on without it: %s", error)
