"""The API throttles and the form rate limits count in a fixed window with one atomic counter
(helpdesk.ratelimit.count_in_window), where DRF rewrote a list of request times per client:
concurrent requests of one client were undercounted, and the list was as long as the rate."""

import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import time_machine
from django.core.cache import cache as default_cache
from rest_framework.throttling import SimpleRateThrottle

from helpdesk import ratelimit
from helpdesk.cache import FailOpenRedisCache

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache(monkeypatch):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    shared = FailOpenRedisCache(REDIS_URL, {"KEY_PREFIX": f"test-count-{uuid.uuid4().hex}"})
    monkeypatch.setattr(ratelimit, "cache", shared)
    return shared


def test_concurrent_counts_are_all_counted_once(redis_cache):
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: ratelimit.count_in_window("k", seconds=60), range(200)))
    assert sorted(count for count, _left in results) == list(range(1, 201))
    assert all(0 < left <= 60 for _count, left in results)
    assert redis_cache.get("k") == 200


def test_the_window_starts_at_the_first_count_and_ends_with_it(redis_cache):
    assert ratelimit.count_in_window("w", seconds=60) == (1, 60)
    name = redis_cache.make_and_validate_key("w")
    client = redis_cache._cache.get_client(name)
    client.pexpire(name, 30_000)  # as if 30 s had passed
    count, left = ratelimit.count_in_window("w", seconds=60)
    assert (count, left) == (2, 30)  # a later count does not renew the window
    client.delete(name)  # the window ends
    assert ratelimit.count_in_window("w", seconds=60) == (1, 60)


def test_a_counter_fails_open_while_redis_is_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = FailOpenRedisCache(f"redis://127.0.0.1:{port}/1", {})
    assert unreachable.count("x", seconds=30) == (0, 30)


@pytest.mark.django_db
def test_the_user_throttle_refuses_past_its_rate_with_the_seconds_left(api, requester, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/min"}
    )
    default_cache.clear()
    client = api(requester)
    with time_machine.travel("2026-12-04 10:00:00+00:00", tick=False):
        codes = [client.get("/api/tickets/").status_code for _ in range(4)]
        refused = client.get("/api/tickets/")
    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # DRF's own key (a list of times) is not used: the counter lives under its own name.
    assert not [key for key in default_cache._cache if ":throttle_user_" in key]


def test_a_server_without_the_script_gets_it_loaded(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    client.script_flush()  # a new or restarted server
    assert ratelimit.count_in_window("s", seconds=60) == (1, 60)
    assert ratelimit.count_in_window("s", seconds=60) == (2, 60)
