"""Configuration read on every write (routing rules, SLA policies and their targets, calendars),
kept per process instead of read from the database on each ticket create or change.

Each cached value remembers the configuration version it was loaded under. The version is one
key in the shared cache (Redis, HELPDESK_CACHE_URL): a save or delete of a watched model bumps
it once its transaction commits, so every process reloads on its next use; each use costs one
cache read instead of the value's queries. The process that makes the change drops its own
values at once and reads the database until its transaction ends (it must see its own
uncommitted rows, and must not keep them should the transaction roll back).

Failing open: while the cache is unreachable there is no version, and every use reads the
database, as without this module. A process also reloads a value older than MAX_AGE, which
bounds what it misses when a bump was lost (the cache down at that moment) or is not shared
(the local-memory cache of a one-process setup).

Within one request (between Django's request_started and request_finished) the version is read
once: a ticket create uses four cached values, and they are taken under one version instead of
four cache reads. A change committed by this thread (its own bump, or config_changed) forgets
that read at once; outside a request (Celery tasks, commands) every use reads the version.
"""

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

VERSION_KEY = "helpdesk:config-version"
MAX_AGE = 60.0  # seconds

_values: list["ConfigValue[Any]"] = []
# This thread changed the configuration in a transaction still open.
_local = threading.local()


def config_version() -> str | None:
    """The current version (created on first use); None when the cache is unreachable.
    Read once per request (see the module)."""
    version = getattr(_local, "request_version", None)
    if version is not None:
        return version
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    if getattr(_local, "in_request", False):
        _local.request_version = version
    return version


def _request_started(**kwargs: Any) -> None:
    _local.in_request = True
    _local.request_version = None


def _request_finished(**kwargs: Any) -> None:
    _local.in_request = False
    _local.request_version = None


request_started.connect(_request_started, dispatch_uid="config-cache:request-started")
request_finished.connect(_request_finished, dispatch_uid="config-cache:request-finished")


def _bump() -> None:
    _local.changing = False
    _local.request_version = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def config_changed() -> None:
    """Every process reloads its cached configuration once the current transaction commits."""
    for value in _values:
        value.clear()
    _local.request_version = None
    _local.changing = connection.in_atomic_block
    transaction.on_commit(_bump)


def config_cache_reset() -> None:
    """Forget every cached value (tests: each starts from the database it sets up)."""
    _local.changing = False
    _local.request_version = None
    for value in _values:
        value.clear()


class ConfigValue(Generic[T]):
    """A value computed from configuration tables, reloaded when the version changes."""

    def __init__(self, load: Callable[[], T]) -> None:
        self._load = load
        # (version, loaded at, value), replaced whole: threads of one process share it.
        self._entry: tuple[str, float, T] | None = None
        _values.append(self)

    def get(self) -> T:
        if getattr(_local, "changing", False):
            if connection.in_atomic_block:
                return self._load()  # uncommitted configuration: read it, keep nothing
            _local.changing = False  # rolled back (a commit would have bumped the version)
        version = config_version()  # read before loading: a change meanwhile bumps it again
        now = time.monotonic()
        entry = self._entry
        fresh = entry is not None and version is not None and entry[0] == version
        if fresh and now - entry[1] < MAX_AGE:  # type: ignore[index]
            return entry[2]  # type: ignore[index]
        value = self._load()
        if version is not None:
            self._entry = (version, now, value)
        return value

    def clear(self) -> None:
        self._entry = None


def _on_change(**kwargs: Any) -> None:
    config_changed()


def watch(*watched: type[models.Model]) -> None:
    """Bump the version whenever one of these models is saved or deleted (AppConfig.ready)."""
    for model in watched:
        uid = f"config-cache:{model._meta.label}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
