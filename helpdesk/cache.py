"""The shared cache on Redis (throttles, rate limits, console counts), failing open.

Redis down must not fail requests (docs/security.md, "broker down"): Django's RedisCache raises,
and redis-py retries a refused connection with backoff for seconds. Here there is one attempt
with short timeouts; while Redis is unreachable every read is a miss and every write is dropped,
so throttles and rate limits do not count for that time and the console counts are recomputed.
"""

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

T = TypeVar("T")

CONNECTION_OPTIONS = {
    "retry": Retry(NoBackoff(), 0),
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1.0,
}


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = {**CONNECTION_OPTIONS, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})

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

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._or(list(data), partial(super().set_many, data, timeout, version))

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._or(None, partial(super().delete_many, keys, version))

    def clear(self) -> None:
        self._or(None, partial(super().clear))
