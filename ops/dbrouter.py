"""Heavy read-only pages on a PostgreSQL streaming replica (DATABASE_REPLICA_URL), when set.

- Only the pages named in HELPDESK_REPLICA_ROUTES (URL pattern names: the SLA dashboard and its
  API and CSV, queue health, knowledge search and suggestions, similar incidents), only for GET
  and HEAD, read from the replica; `ReplicaMiddleware` decides per request. Everything else —
  every write, every task, the SLA sweeps, sessions and sign-in — stays on the primary
  (`ReplicaRouter` sends a read to the replica only inside such a page, and never inside a
  transaction).
- Bounded staleness: a user who has just written (any POST, PUT, PATCH or DELETE) reads the
  primary for HELPDESK_REPLICA_STICKY_S, so they see what they wrote. The mark lives in the
  shared cache, so it holds across web processes (HELPDESK_CACHE_URL).
- The replica down: the page checks out a replica connection before routing to it; if that
  fails the page reads the primary instead and the replica is left alone for
  HELPDESK_REPLICA_RETRY_S in this process. No error reaches the user.
"""

import contextlib
import logging
import time
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"

# Reads of these apps always go to the primary: sign-in, tokens, sessions, lockouts, keys. A
# token or session created a moment ago must be found, whatever the replica's lag.
PRIMARY_ONLY_APPS = frozenset(
    {"accounts", "auth", "sessions", "axes", "contenttypes", "idempotency", "ops"}
)


class _Page:
    """A page that may read the replica; decided at its first eligible read (by then the API
    has authenticated its user), then kept for the page."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self.database: str | None = None

    def database_for_reads(self) -> str:
        if self.database is None:
            user = getattr(self.request, "user", None)
            user_id = user.pk if user is not None and user.is_authenticated else None
            if user_id is not None and primary_sticky(user_id=user_id):
                self.database = DEFAULT_DB_ALIAS
            else:
                self.database = REPLICA if replica_available() else DEFAULT_DB_ALIAS
        return self.database


_page: ContextVar[_Page | None] = ContextVar("helpdesk_replica_page", default=None)
# Monotonic time before which this process does not try the replica again.
_replica_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        page = _page.get()
        if (
            page is None
            or model._meta.app_label in PRIMARY_ONLY_APPS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        return page.database_for_reads()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same rows, one of them a little behind

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


def _sticky_key(user_id: object) -> str:
    return f"replica-sticky:{user_id}"


def primary_sticky_mark(*, user_id: object) -> None:
    """The user just wrote: their next reads go to the primary for a while."""
    cache.set(_sticky_key(user_id), 1, timeout=settings.HELPDESK_REPLICA_STICKY_S)


def primary_sticky(*, user_id: object) -> bool:
    return bool(cache.get(_sticky_key(user_id)))


def replica_available() -> bool:
    """A replica connection can be had now (it is then this thread's for the page)."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except Error as error:
        replica_failed()
        logger.warning(
            "read replica unavailable, reading the primary for %s s: %s",
            settings.HELPDESK_REPLICA_RETRY_S,
            error,
        )
        return False
    return True


def replica_failed() -> None:
    """The replica could not answer: this process leaves it alone for a while."""
    global _replica_down_until
    _replica_down_until = time.monotonic() + settings.HELPDESK_REPLICA_RETRY_S
    with contextlib.suppress(Error):
        connections[REPLICA].close()


def replica_page_start(request: Any) -> Token[_Page | None]:
    """The reads from now on (a listed page) may go to the replica, until `replica_page_end`."""
    return _page.set(_Page(request))


def replica_page_end(token: Token[_Page | None]) -> None:
    page = _page.get()
    try:
        _page.reset(token)
    except ValueError:
        _page.set(None)
    if page is not None and page.database == REPLICA:
        connections[REPLICA].close()  # back to the pool, as the primary's is at the request end


def replica_page_database() -> str | None:
    """Where the current page read from (None: not a replica page, or nothing read yet)."""
    page = _page.get()
    return page.database if page is not None else None
