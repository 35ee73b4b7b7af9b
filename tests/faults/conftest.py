"""Private servers per test, on free loopback ports: a redis-server (never the shared one on
6379) and a PostgreSQL cluster (never the shared one on 5432), so a test may stop and restart them.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from helpdesk.celery import app as celery_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn_serving(
    *, options: list[str], env: dict[str, str], log: Path, ready: Callable[[int], bool]
) -> Iterator[int]:
    """gunicorn on a free loopback port with these options, its output in `log`; yields the port
    once `ready(port)` is true (60 s at most), and stops it (kills it after 20 s) on the way out."""
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable, "-m", "gunicorn", "helpdesk.wsgi", *options,
                "--bind", f"127.0.0.1:{port}", "--no-control-socket",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if ready(port):
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.1)
            yield port
        finally:
            stop(process, timeout=20)


def _answers(port: int) -> bool:
    """Whether a Redis answers on the port now: one attempt. (redis-py retries a refused
    connection three times with backoff by default: ~5 s before a stopped server's port said
    no, on every stop, and on every probe while one was starting.)"""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:
        client = redis.Redis(port=port, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
        return bool(client.ping())
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

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushdb()

    def queued(self, queue: str = "celery") -> int:
        import redis

        return int(redis.Redis(port=self.port).llen(queue))

    def unacked(self) -> int:
        """Messages a worker has taken and not acknowledged yet (kombu's "unacked" hash): a task's
        effects can be visible while its ack is still on the way to the broker."""
        import redis

        return int(redis.Redis(port=self.port).hlen("unacked"))


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


# --- real Celery processes ---------------------------------------------------------------------

ROOT = Path(settings.BASE_DIR)


# A worker that takes one task at a time and talks to no other worker: what the tests count is
# then the work of this one process.
SOLO_WORKER = [
    "worker",
    "--pool=solo",
    "--without-heartbeat",
    "--without-gossip",
    "--without-mingle",
]


def celery_env(*, broker_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker or beat on this test's database and the given broker."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "0",
        "CELERY_BROKER_URL": broker_url,
        "HELPDESK_VAR_DIR": str(var_dir),
        **extra,
    }


@contextmanager
def celery_process(
    arguments: list[str], *, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`celery -A helpdesk <arguments>`, its output in `log`; stopped (then killed) on exit."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "helpdesk", *arguments],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    """Terminate a server process, and kill it if it has not exited within `timeout` s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def poll(what: str, condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def cache_on(private_redis: PrivateRedis, settings: Any) -> PrivateRedis:
    """The shared cache (throttles, rate limits) on the private Redis, as production sets it
    (HELPDESK_CACHE_URL: helpdesk.cache.FailOpenRedisCache); DB 1, the broker uses DB 0."""
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{private_redis.port}/1",
        }
    }
    return private_redis


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


# --- a private PostgreSQL cluster ---------------------------------------------------------------


def _postgres_bin() -> Path | None:
    """The directory of initdb/pg_ctl/pg_dump (Debian keeps them off PATH), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A throw-away cluster in a temporary directory: trust auth, 127.0.0.1 only, no fsync.

    initdb refuses to run as root, so as root every server command runs as the `postgres` OS
    user (the directory is handed to it; pytest's own tmp_path is not reachable by that user).
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="helpdesk-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.directory, user="postgres")

    def _server_command(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self._server_command(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._server_command(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options
        )

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back and their backends terminated."""
        self._server_command("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def running(self) -> bool:
        probe = subprocess.run(  # noqa: S603
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return probe.returncode == 0

    def copy_database(self, source: dict[str, Any], name: str) -> None:
        """Schema and rows of the Django database `source` (its settings_dict) into `name`."""
        self._psql("postgres", f"CREATE DATABASE {name}")
        env = {**os.environ, "PGPASSWORD": str(source.get("PASSWORD") or "")}
        dump = subprocess.run(  # noqa: S603
            [
                str(self.bin / "pg_dump"), "--no-owner", "--no-privileges",
                "-h", str(source["HOST"] or "127.0.0.1"), "-p", str(source["PORT"] or 5432),
                "-U", str(source["USER"]), str(source["NAME"]),
            ],
            check=True, capture_output=True, env=env, timeout=60,
        )  # fmt: skip
        self._psql(name, input=dump.stdout)

    def _psql(self, database: str, command: str = "", *, input: bytes | None = None) -> None:
        subprocess.run(  # noqa: S603
            [
                str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.port), "-U", "postgres", "-d", database,
                *(["-c", command] if command else []),
            ],
            check=True, capture_output=True, input=input, timeout=60,
        )  # fmt: skip

    def destroy(self) -> None:
        if self.data.exists() and self.running():
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("the PostgreSQL server binaries are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser is needed to run initdb as the postgres user")
    server = PrivatePostgres(bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()
