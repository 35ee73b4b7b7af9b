"""A private redis-server per test (never the shared one on 6379), on a free loopback port."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from helpdesk.celery import app as celery_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.2).ping())
    except redis.exceptions.ConnectionError:
        return False


REDIS_SERVER = shutil.which("redis-server") or "redis-server"


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        assert not _answers(self.port)

    def queued(self, queue: str = "celery") -> int:
        import redis

        return int(redis.Redis(port=self.port).llen(queue))


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which(REDIS_SERVER) is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _drop_broker_connections() -> None:
    # Connections and producers are pooled per app: drop them so the next publish reconnects.
    celery_app.pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_on(private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """This process's Celery app publishes to the private Redis."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    _drop_broker_connections()
    celery_app.conf.broker_url = private_redis.url
    # As settings.py configures a Redis broker (the suite may run with the filesystem one).
    celery_app.conf.broker_transport_options = settings.HELPDESK_REDIS_BROKER_OPTIONS
    try:
        yield private_redis
    finally:
        _drop_broker_connections()
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved
