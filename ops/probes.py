"""What the readiness probe and /metrics ask of the database, the cache and the broker.

Each check raises on failure. `readiness()` runs them side by side in threads with one deadline
(HELPDESK_READY_TIMEOUT_S), so a server that hangs (a dropped packet, a full pool) makes the
probe answer "timeout" in time instead of holding the load balancer's probe past its own limit.
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta

from amqp.exceptions import ChannelError as AmqpChannelError  # kombu's virtual channels raise it
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone
from kombu.exceptions import ChannelError as KombuChannelError

from helpdesk.celery import app as celery_app
from ops import selectors
from ops.services import SLA_SWEEP

logger = logging.getLogger(__name__)


class NotReady(Exception):
    """A check failed for a reason worth naming in the answer (e.g. "stale")."""


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's connection: back to the pool (or closed)


def check_cache() -> None:
    """The shared cache answers a PING. A local-memory cache (one process) has nothing to reach.

    The fail-open Redis cache (helpdesk/cache.py) hides errors from its callers, so the probe
    asks its client directly.
    """
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        cache._cache.get_client(None, write=True).ping()  # type: ignore[attr-defined]


def check_broker() -> None:
    """One connection attempt to the Celery broker (no retry: the probe has a deadline)."""
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=0, timeout=settings.HELPDESK_READY_TIMEOUT_S)
        broker.default_channel  # noqa: B018 (opens the channel: Redis answers, not only TCP)


def check_sweep(now: datetime | None = None) -> None:
    """Beat and a worker are alive: the SLA sweep finished recently enough."""
    max_age = settings.HELPDESK_READY_SWEEP_MAX_AGE_S
    try:
        last = selectors.heartbeat_at(name=SLA_SWEEP)
    finally:
        connection.close()
    if last is None:
        raise NotReady("never")
    if (now or timezone.now()) - last > timedelta(seconds=max_age):
        raise NotReady("stale")


def broker_queue_length(queue: str | None = None) -> int:
    """Messages waiting in a Celery queue (Redis: LLEN of the list); 0 when it does not exist."""
    name = queue or celery_app.conf.task_default_queue
    return broker_queue_lengths([name])[name]


def broker_queue_lengths(queues: list[str]) -> dict[str, int]:
    """Messages waiting in each of these Celery queues, over one broker connection."""
    lengths = {}
    with celery_app.connection_for_read() as broker:
        broker.ensure_connection(max_retries=0, timeout=settings.HELPDESK_READY_TIMEOUT_S)
        for name in queues:
            try:
                declared = broker.default_channel.queue_declare(name, passive=True)  # type: ignore[attr-defined]
                lengths[name] = int(declared.message_count)
            except (KombuChannelError, AmqpChannelError):
                lengths[name] = 0  # an empty Redis list does not exist
    return lengths


@dataclass
class CheckResult:
    name: str
    ok: bool
    error: str = ""
    seconds: float = 0.0


def _timed(name: str, check: Callable[[], None]) -> CheckResult:
    started = time.monotonic()
    try:
        check()
    except NotReady as reason:
        result = CheckResult(name, False, str(reason))
    except Exception as error:
        # The detail goes to the log only: the probe is public, its answer names no host.
        logger.warning("readiness: %s unavailable: %s: %s", name, type(error).__name__, error)
        result = CheckResult(name, False, "unavailable")
    else:
        result = CheckResult(name, True)
    result.seconds = round(time.monotonic() - started, 4)
    if not result.ok and result.error != "unavailable":
        logger.warning("readiness: %s not ready: %s", name, result.error)
    return result


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {
        "database": check_database,
        "cache": check_cache,
        "broker": check_broker,
    }
    if settings.HELPDESK_READY_SWEEP_MAX_AGE_S > 0:
        checks["sweep"] = check_sweep
    return checks


def readiness() -> list[CheckResult]:
    checks = readiness_checks()
    deadline = settings.HELPDESK_READY_TIMEOUT_S
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        futures = {name: executor.submit(_timed, name, check) for name, check in checks.items()}
        started = time.monotonic()
        results = []
        for name, future in futures.items():
            try:
                remaining = max(deadline - (time.monotonic() - started), 0)
                results.append(future.result(timeout=remaining))
            except FutureTimeout:
                logger.warning("readiness: %s did not answer within %s s", name, deadline)
                results.append(CheckResult(name, False, "timeout", float(deadline)))
        return results
    finally:
        # A check still hanging finishes on its own (its client's timeouts); nobody waits.
        executor.shutdown(wait=False, cancel_futures=True)
