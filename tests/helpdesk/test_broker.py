"""Publishing through kombu's Redis transport (helpdesk.broker): one redis.Redis per connection
pool serves every message, where kombu built one per publish; a new pool gets a new one."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from kombu import Connection

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def connection():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    with Connection(REDIS_URL, transport="helpdesk.broker:Transport") as conn:
        yield conn


def _count_clients(channel) -> list[object]:
    built: list[object] = []
    make = channel._create_client

    def counting(*args, **kwargs):
        built.append(make(*args, **kwargs))
        return built[-1]

    channel._create_client = counting
    return built


def test_every_publish_reuses_one_client_and_a_new_pool_gets_its_own(connection):
    name = f"test-broker-{uuid.uuid4().hex}"
    channel = connection.channel()
    built = _count_clients(channel)
    queue = connection.SimpleQueue(name, channel=channel)  # declaring it uses the client too
    try:
        for n in range(3):
            queue.put({"n": n})
        assert len(built) == 1
        queue.channel._disconnect_pools()  # what kombu does after a connection error
        queue.put({"n": 3})
        assert len(built) == 2
        assert built[1].connection_pool is queue.channel.pool
        received = []
        for _ in range(4):
            message = queue.get(timeout=5)
            received.append(message.payload["n"])
            message.ack()
        assert received == [0, 1, 2, 3]
    finally:
        queue.clear()
        queue.close()


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("redis://127.0.0.1:6379/0", "helpdesk.broker.Transport"),
        ("sentinel://127.0.0.1:26379/0", "helpdesk.broker.SentinelTransport"),
        ("filesystem://localhost/", "kombu.transport.filesystem.Transport"),
    ],
)
def test_the_settings_choose_the_transport_by_the_broker_url(url, transport):
    code = (
        "import django; django.setup(); from helpdesk.celery import app; "
        "cls = type(app.connection_for_write().transport); "
        "print(f'{cls.__module__}.{cls.__qualname__}')"
    )
    env = {**os.environ, "CELERY_BROKER_URL": url, "DJANGO_SETTINGS_MODULE": "helpdesk.settings"}
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == transport
