"""kombu's Redis transports, publishing through one client per connection pool.

kombu built a `redis.Redis` for every message it published (`Channel.conn_or_acquire`), and
redis-py's constructor fills a table of ~170 response callbacks: about 250 Python calls per
publish, a twentieth of a ticket create (bench/create_profile.py). A `redis.Redis` holds no
connection of its own (each command takes one from the pool), so one per pool serves every
publish; a new pool (kombu drops it after a connection error) gets a new client.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu.transport import redis as kombu_redis


class _ReusingClient:
    _reused: Any = None

    @contextmanager
    def conn_or_acquire(self, client: Any = None) -> Iterator[Any]:
        if client:
            yield client
            return
        pool = self.pool  # type: ignore[attr-defined]
        if self._reused is None or self._reused.connection_pool is not pool:
            self._reused = self._create_client()  # type: ignore[attr-defined]
        yield self._reused


class Channel(_ReusingClient, kombu_redis.Channel):
    pass


class SentinelChannel(_ReusingClient, kombu_redis.SentinelChannel):
    pass


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel
