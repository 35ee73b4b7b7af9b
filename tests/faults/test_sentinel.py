"""Redis behind Sentinel: a primary, a replica and two sentinels on free loopback ports.

A real Celery worker takes its broker from `CELERY_BROKER_URL=sentinel://…;sentinel://…` (the
settings add `master_name` from HELPDESK_SENTINEL_MASTER). A ticket's acknowledgement is handed to
it and marked sent; then `SENTINEL FAILOVER` promotes the replica, and a second ticket's
acknowledgement is handed over and marked sent too: the worker and this process (the web side)
both follow the sentinels to the new primary. The shared cache, on the same sentinels, answers
again after the failover and writes to the new primary.

Under load: tickets filed every 50 ms and beat sweeping every second across the failover; no
create fails, every email goes out exactly once, the SLA breach is acted on exactly once.
"""

import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone

from helpdesk.celery import app as celery_app
from notifications.models import DeliveryStatus, Notification
from ops import probes
from sla.models import SlaEvent, SlaEventKind
from tests.faults.conftest import (
    REDIS_SERVER,
    _answers,
    _drop_broker_connections,
    _free_port,
    celery_env,
    celery_process,
    poll,
    stop,
)
from tickets import services
from tickets.models import Level, Status, Ticket, TicketEvent

pytestmark = [
    # Real processes (gunicorn, celery, beat, nginx, redis): one at a time on one xdist worker, so
    # two such tests never starve each other's start-up on a 2-core machine.
    pytest.mark.xdist_group("processes"),
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

MASTER = "mymaster"


class SentinelGroup:
    """A primary, a replica of it and two sentinels watching them (quorum 1), all private."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.primary = _free_port()
        self.replica = _free_port()
        self.sentinels = [_free_port(), _free_port()]
        self.processes: list[subprocess.Popen[bytes]] = []

    def url(self, db: int) -> str:
        return ";".join(f"sentinel://127.0.0.1:{port}/{db}" for port in self.sentinels)

    def _spawn(self, port: int, *arguments: str) -> None:
        self.processes.append(
            subprocess.Popen(  # noqa: S603
                [REDIS_SERVER, *arguments],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        poll(f"redis on {port}", lambda: _answers(port), timeout=10)

    def _server(self, port: int, *extra: str) -> None:
        data = self.directory / str(port)
        data.mkdir()
        self._spawn(
            port,
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(data), *extra,
        )  # fmt: skip

    def start(self) -> None:
        self._server(self.primary)
        self._server(self.replica, "--replicaof", "127.0.0.1", str(self.primary))
        poll(
            "the replica in sync",
            lambda: (
                redis.Redis(port=self.replica).info("replication")["master_link_status"] == "up"
            ),
            timeout=15,
        )
        for port in self.sentinels:
            config = self.directory / f"sentinel-{port}.conf"  # sentinels rewrite their config
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.directory}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary} 1\n"
                f"sentinel down-after-milliseconds {MASTER} 2000\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
            )
            self._spawn(port, str(config), "--sentinel")

    def sentinel(self, index: int = 0) -> "redis.Redis[bytes]":
        return redis.Redis(port=self.sentinels[index], socket_timeout=2)

    def master_port(self) -> int:
        return int(self.sentinel().sentinel_get_master_addr_by_name(MASTER)[1])

    def failover(self) -> None:
        """SENTINEL FAILOVER (no agreement needed), once the sentinel knows a good replica."""

        def forced() -> bool:
            try:
                return bool(self.sentinel().execute_command("SENTINEL FAILOVER", MASTER))
            except redis.ResponseError:  # NOGOODSLAVE until the replica is known; INPROG
                return False

        poll("a failover to start", forced, timeout=20)
        poll("the replica promoted", lambda: self.master_port() == self.replica, timeout=20)
        poll(
            "the replica a primary",
            lambda: redis.Redis(port=self.replica).info("replication")["role"] == "master",
            timeout=20,
        )
        # The old primary stays up (a forced failover) and keeps taking writes from the clients
        # still connected to it until the sentinels turn it into a replica, which also closes
        # those connections (CLIENT KILL): until then both are primaries (docs/deploy.md).
        poll(
            "the old primary a replica",
            lambda: redis.Redis(port=self.primary).info("replication")["role"] == "slave",
            timeout=30,
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()  # all at once, then wait for each
        for process in self.processes:
            stop(process, timeout=10)


@pytest.fixture
def sentinel_group(tmp_path: Path) -> Iterator[SentinelGroup]:
    if shutil.which(REDIS_SERVER) is None:
        pytest.skip("redis-server is not installed")
    group = SentinelGroup(tmp_path / "redis")
    group.directory.mkdir()
    try:
        group.start()
        yield group
    finally:
        group.stop()


@pytest.fixture
def broker_on_sentinels(sentinel_group: SentinelGroup) -> Iterator[SentinelGroup]:
    """This process publishes through the sentinels, with the options settings.py gives them."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport_options
    _drop_broker_connections()
    celery_app.conf.broker_url = sentinel_group.url(0)
    celery_app.conf.broker_transport_options = django_settings.HELPDESK_SENTINEL_BROKER_OPTIONS
    try:
        yield sentinel_group
    finally:
        _drop_broker_connections()
        celery_app.conf.broker_url, celery_app.conf.broker_transport_options = saved


def _acknowledged(title: str) -> bool:
    rows = Notification.objects.filter(ticket__title=title)
    return rows.exists() and not rows.exclude(status=DeliveryStatus.SENT).exists()


def _cache_round_trip(key: str, value: str) -> bool:
    cache.set(key, value, 60)  # fails open: a dropped write reads back as a miss
    return bool(cache.get(key) == value)


def test_a_sentinel_failover_loses_no_task_and_the_cache_follows(
    broker_on_sentinels: SentinelGroup, requester: Any, tmp_path: Path, settings: Any
) -> None:
    group = broker_on_sentinels
    settings.CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": group.url(1),
            "OPTIONS": {"master_name": MASTER},
        }
    }
    env = celery_env(
        broker_url=group.url(0),
        var_dir=tmp_path,
        HELPDESK_SENTINEL_MASTER=MASTER,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    worker_args = [
        "worker", "--pool=solo", "--loglevel=INFO",
        "--without-heartbeat", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    log = tmp_path / "worker.log"
    with celery_process(worker_args, env=env, log=log) as worker:
        assert _cache_round_trip("before", "primary")
        assert redis.Redis(port=group.primary, db=1).exists(":1:before")

        services.ticket_create(
            requester=requester, title="Before the failover", description="x", urgency=Level.LOW
        )
        poll("the first acknowledgement", lambda: _acknowledged("Before the failover"))
        # The row is marked sent inside the task, before its ack reaches the broker: fail over
        # only once the ack is in (a connection dropped mid-ack can crash the worker in kombu).
        poll("the worker's ack", lambda: redis.Redis(port=group.primary).hlen("unacked") == 0)

        started = time.monotonic()
        group.failover()

        services.ticket_create(
            requester=requester, title="After the failover", description="x", urgency=Level.LOW
        )
        poll("the second acknowledgement", lambda: _acknowledged("After the failover"))
        assert worker.poll() is None, log.read_text()

        poll("the cache on the new primary", lambda: _cache_round_trip("after", "replica"), 10)
        assert redis.Redis(port=group.replica, db=1).exists(":1:after")
        # Written to the old primary before, replicated, still there on the new one.
        assert cache.get("before") == "primary"
        # /readyz and /metrics reach the new primary through the same settings.
        probes.check_cache()
        probes.check_broker()
        assert probes.broker_queue_length() == 0
        assert time.monotonic() - started < 40

    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_cache_reads_sentinel_addresses_database_and_credentials_from_its_location() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk.cache import sentinel_addresses

    assert sentinel_addresses(["sentinel://10.0.0.1:26379/2", "sentinel://10.0.0.2"]) == (
        [("10.0.0.1", 26379), ("10.0.0.2", 26379)],
        {"db": 2},
    )
    assert sentinel_addresses(["sentinel://u:p%40ss@h:1"])[1] == {
        "password": "p@ss",
        "username": "u",
    }
    with pytest.raises(ImproperlyConfigured):
        sentinel_addresses(["redis://h:6379/1"])


def _past_due(*, make_ticket: Any) -> Any:
    """Taken by agent_l1 thirty days ago and never resolved: every target has passed."""
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        return make_ticket(Status.IN_DIAGNOSIS, title="Printer on fire since last month")


class TicketLoad:
    """Tickets filed one after another on a thread of their own until stopped, as a busy
    web process would: every create must succeed whatever the broker is doing."""

    def __init__(self, requester: Any) -> None:
        self.requester = requester
        self.created: list[int] = []
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    ticket = services.ticket_create(
                        requester=self.requester,
                        title=f"Load {len(self.created)}",
                        description="Filed during the failover.",
                        urgency=Level.LOW,
                    )
                except Exception as exc:  # collected: the assertion names it
                    self.failures.append(exc)
                else:
                    self.created.append(ticket.pk)
                time.sleep(0.05)
        finally:
            connections.close_all()

    def __enter__(self) -> "TicketLoad":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _all_delivered() -> bool:
    return not Notification.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_a_failover_under_load_loses_no_ticket_and_no_sla_effect(
    broker_on_sentinels: SentinelGroup, requester: Any, make_ticket: Any, tmp_path: Path
) -> None:
    """Tickets keep coming and beat keeps sweeping while the sentinels fail the broker over:
    every ticket is acknowledged by exactly one email, and the overdue ticket's breach is
    recorded, notified and escalated exactly once."""
    group = broker_on_sentinels
    overdue = _past_due(make_ticket=make_ticket)
    sent_log = tmp_path / "sent.log"
    sent_log.touch()
    env = celery_env(
        broker_url=group.url(0),
        var_dir=tmp_path,
        HELPDESK_SENTINEL_MASTER=MASTER,
        HELPDESK_SLA_SWEEP_SECONDS="1",
        HELPDESK_OUTBOX_SWEEP_SECONDS="2",
        EMAIL_BACKEND="tests.faults.slow_mail.SlowBackend",
        SLOW_MAIL_SECONDS="0",
        SLOW_MAIL_LOG=str(sent_log),
    )
    worker_args = ["worker", "--concurrency=2", "--loglevel=INFO", "--without-gossip"]
    beat_args = ["beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")]
    with (
        celery_process(worker_args, env=env, log=tmp_path / "worker.log") as worker,
        celery_process(beat_args, env=env, log=tmp_path / "beat.log") as beat,
    ):
        with TicketLoad(requester) as load:
            poll("tickets filed before the failover", lambda: len(load.created) >= 10)
            group.failover()
            before = len(load.created)
            poll("tickets filed after the failover", lambda: len(load.created) >= before + 10)
        assert not load.failures, load.failures

        # Hand-offs lost in the switch are picked up by the outbox flush (rows older than 20 s).
        poll("every notification sent", _all_delivered, timeout=90)
        poll(
            "the breach acted on",
            lambda: TicketEvent.objects.filter(
                ticket=overdue, transition="escalate_for_breach"
            ).exists(),
            timeout=30,
        )
        assert worker.poll() is None and beat.poll() is None

    tickets = Ticket.objects.filter(pk__in=load.created)
    assert tickets.count() == len(load.created) >= 20
    # One acknowledgement per ticket filed under load, and every email sent exactly once.
    acknowledgements = Notification.objects.filter(ticket__in=tickets, kind="ticket_created")
    assert acknowledgements.count() == len(load.created)
    sent = sent_log.read_text().split()
    assert len(sent) == len(set(sent)) == Notification.objects.count()

    breaches = SlaEvent.objects.filter(ticket=overdue, kind=SlaEventKind.BREACH)
    metrics = Counter(breaches.values_list("metric", "cycle"))
    assert metrics and set(metrics.values()) == {1}
    assert Notification.objects.filter(ticket=overdue, kind="sla_breach").count() == len(metrics)
    escalations = TicketEvent.objects.filter(ticket=overdue, transition="escalate_for_breach")
    assert escalations.count() == 1
