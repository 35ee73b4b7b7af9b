"""The shared cache's client (helpdesk.cache): one redis.Redis per connection pool, reused by every
cache call, instead of one built per call; still failing open while Redis is down."""

import os
import socket
import uuid

import pytest
import redis

from helpdesk.cache import FailOpenRedisCache, ReusingCacheClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _built(cache: FailOpenRedisCache) -> list[object]:
    """Record every redis.Redis the cache's client builds."""
    client = cache._cache
    built: list[object] = []
    make = client._client

    def counting(**kwargs):
        built.append(make(**kwargs))
        return built[-1]

    client._client = counting
    return built


def test_every_call_reuses_one_redis_client():
    if not _redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"test-cache-client-{uuid.uuid4().hex}"
    cache = FailOpenRedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
    assert isinstance(cache._cache, ReusingCacheClient)
    built = _built(cache)
    try:
        cache.set("a", 1)
        assert cache.add("b", 2) is True
        assert cache.add("b", 3) is False
        assert cache.incr("a") == 2
        assert cache.get_many(["a", "b", "c"]) == {"a": 2, "b": 2}
        cache.delete("b")
        assert cache.get("b", "gone") == "gone"
    finally:
        cache.delete_many(["a", "b"])
    assert len(built) == 1
    assert cache._cache.get_client() is built[0]
    assert cache._cache.get_client(write=True) is built[0]


def test_a_new_pool_gets_its_own_client():
    cache = FailOpenRedisCache(REDIS_URL, {})
    first = cache._cache.get_client()
    cache._cache._pools.clear()  # a pool replaced (as Django would build it again)
    second = cache._cache.get_client()
    assert second is not first
    assert second.connection_pool is cache._cache._get_connection_pool(True)


def test_the_reused_client_still_fails_open_while_redis_is_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = FailOpenRedisCache(f"redis://127.0.0.1:{port}/1", {})
    built = _built(cache)
    assert cache.get("x", "default") == "default"
    cache.set("x", 1)  # dropped
    assert cache.get("x", "default") == "default"
    with pytest.raises(ValueError):
        cache.incr("x")
    assert len(built) == 1
