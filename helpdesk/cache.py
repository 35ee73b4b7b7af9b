"""The shared cache on Redis (throttles, rate limits, console counts), failing open.

Redis down must not fail requests (docs/security.md, "broker down"): Django's RedisCache raises,
and redis-py retries a refused connection with backoff for seconds. Here there is one attempt
with short timeouts; while Redis is unreachable every read is a miss and every write is dropped,
so throttles and rate limits do not count for that time and the console counts are recomputed.

Behind Redis Sentinel the location lists sentinels (sentinel://h1:26379/1;sentinel://h2:26379/1,
the database number on any of them) and OPTIONS names the master (`master_name`): every read and
write goes to the master the sentinels name, asked again after a failover. Calls that fail during
the switch are misses and dropped writes, as for any outage.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry
from redis.sentinel import Sentinel

logger = logging.getLogger(__name__)

# INCR, and the expiry set by the count that creates the key: (count, seconds left).
_COUNT_LUA = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}
"""
_COUNT_SHA = hashlib.sha1(_COUNT_LUA.encode(), usedforsecurity=False).hexdigest()

T = TypeVar("T")

CONNECTION_OPTIONS = {
    "retry": Retry(NoBackoff(), 0),
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1.0,
}


def sentinel_addresses(servers: list[str]) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """The (host, port) of each sentinel://[user:password@]host[:port][/db] URL, and the
    master's database number and credentials (from the first URL that gives them)."""
    sentinels = []
    master: dict[str, Any] = {}
    for server in servers:
        url = urlsplit(server.strip())
        if url.scheme != "sentinel" or not url.hostname:
            raise ImproperlyConfigured(f"Not a sentinel://host:port URL: {server!r}")
        sentinels.append((url.hostname, url.port or 26379))
        if url.path.strip("/") and "db" not in master:
            master["db"] = int(url.path.strip("/"))
        if url.password and "password" not in master:
            master["password"] = unquote(url.password)
            if url.username:
                master["username"] = unquote(url.username)
    return sentinels, master


class ReusingCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one redis.Redis per connection pool instead of building one
    for every cache call (redis-py's constructor fills a table of ~170 response callbacks: about
    4,000 Python calls per ticket create for its 7 cache calls). A redis.Redis holds no connection
    of its own (each command borrows one from the pool), so reusing it changes nothing else."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # (Django's private members, not in its type stubs.)
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class SentinelCacheClient(ReusingCacheClient):
    """Django's Redis client on the master that the sentinels name (reads and writes alike)."""

    def __init__(self, servers: list[str], *, master_name: str, **options: Any) -> None:
        super().__init__(servers, **options)
        sentinels, master = sentinel_addresses(servers)
        timeouts = {
            key: options[key]
            for key in ("socket_connect_timeout", "socket_timeout")
            if key in options
        }
        self._sentinel = Sentinel(sentinels, sentinel_kwargs=timeouts)
        self._master_name = master_name
        self._master_options = {**options, **master}
        self._master_pool: Any = None

    def _get_connection_pool(self, write: bool) -> Any:
        if self._master_pool is None:
            client = self._sentinel.master_for(self._master_name, **self._master_options)
            self._master_pool = client.connection_pool
        return self._master_pool


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = {**CONNECTION_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class: type[RedisCacheClient] = (
            SentinelCacheClient if server.startswith("sentinel://") else ReusingCacheClient
        )

    def _or(self, fallback: T, call: Callable[[], T]) -> T:
        try:
            return call()
        except RedisError as error:
            logger.warning("cache unavailable, carrying on without it: %s", error)
            return fallback

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        # As if the key were new: a rate-limit window starts afresh.
        return self._or(True, partial(super().add, key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._or(default, partial(super().get, key, default, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._or(None, partial(super().set, key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._or(False, partial(super().touch, key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, partial(super().delete, key, version))

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._or({}, partial(super().get_many, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, partial(super().has_key, key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            logger.warning("cache unavailable, carrying on without it: %s", error)
            raise ValueError(f"Key {key!r} not found (the cache is unavailable).") from error

    def count(self, key: Any, *, seconds: int) -> tuple[int, int]:
        """Add one to a counter that lives `seconds` from its first count: (the count, the
        seconds it has left), atomically in one command. (0, seconds) while Redis is
        unreachable: nothing is counted."""

        def call() -> tuple[int, int]:
            name = self.make_and_validate_key(key)
            client = self._cache.get_client(name, write=True)  # type: ignore[attr-defined]
            count, left = client.evalsha(_COUNT_SHA, 1, name, seconds)
            return int(count), max(int(left), 0)

        return self._or((0, seconds), partial(self._or_load_script, call))

    def _or_load_script(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except NoScriptError:  # a new or flushed server: load it once, then as before
            self._cache.get_client(write=True).script_load(_COUNT_LUA)  # type: ignore[attr-defined]
            return call()

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._or(list(data), partial(super().set_many, data, timeout, version))

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._or(None, partial(super().delete_many, keys, version))

    def clear(self) -> None:
        self._or(None, partial(super().clear))
