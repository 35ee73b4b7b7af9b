"""Prometheus metrics: requests (counted in each process) and the desk's state (read at scrape).

prometheus-client, the reference client, rather than django-prometheus: we need a dozen
metrics of our own, labelled by URL pattern name, plus gauges computed from indexed queries at
scrape time; django-prometheus would add its database and cache wrappers (a second ENGINE
around Django's pooled PostgreSQL backend) and a hundred series nobody alerts on, and still
need the same custom collector (docs/deploy.md, "Metrics").

Several gunicorn workers: each process counts its own requests. With PROMETHEUS_MULTIPROC_DIR
set (before the process starts), prometheus-client keeps the counters in memory-mapped files
there and a scrape of any worker sums every worker's files (MultiProcessCollector); the
gunicorn hooks in ops/gunicorn.py empty the directory at start and retire dead workers' files.
The desk gauges need no such care: they are read from the database and the broker at scrape
time, so every process answers the same.
"""

import logging
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ops import probes, selectors
from sla.forecast import forecast_counts_by_source

logger = logging.getLogger(__name__)

# No `_created` series beside each counter: Prometheus derives restarts from resets itself.
disable_created_metrics()

# Registered in no registry of their own: each scrape builds one (see `exposition`).
REQUESTS = Counter(
    "helpdesk_http_requests",
    "HTTP requests answered, by URL pattern name, method and status code.",
    ["route", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "helpdesk_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern name and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def _seconds_since(moment: Any, now: Any) -> float:
    return max((now - moment).total_seconds(), 0.0) if moment is not None else 0.0


class DeskCollector(Collector):
    """The desk's state, read when Prometheus scrapes: SLA sweep lag, clocks, outbox, queue,
    breach register, and when the periodic jobs last finished. A source that cannot be read is
    reported as `helpdesk_metrics_source_up{source=…} 0` and its gauges are left out."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "helpdesk_metrics_source_up",
            "1 when the scrape could read this source (database, broker), else 0.",
            labels=["source"],
        )
        try:
            families = list(self._from_database())
        except DatabaseError as error:
            logger.warning("metrics: database unavailable: %s", error)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield from families
        finally:
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        names = [probes.celery_app.conf.task_default_queue, settings.HELPDESK_SWEEP_QUEUE]
        try:
            queued = probes.broker_queue_lengths(names)
        except Exception as error:
            logger.warning("metrics: broker unavailable: %s", error)
            up.add_metric(["broker"], 0)
        else:
            up.add_metric(["broker"], 1)
            queue = GaugeMetricFamily(
                "helpdesk_celery_queue_length",
                "Tasks waiting in a Celery queue (Redis: LLEN of the queue's list).",
                labels=["queue"],
            )
            for name, length in queued.items():
                queue.add_metric([name], length)
            yield queue
        yield up

    def _from_database(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield GaugeMetricFamily(
            "helpdesk_sla_sweep_lag_seconds",
            "Now minus the oldest SLA threshold (75 %, 90 %, breach) not recorded yet; 0 when "
            "the sweep is up to date.",
            value=_seconds_since(selectors.sla_oldest_due(now=now), now),
        )
        by_state = selectors.sla_clocks_by_state()
        if by_state is not None:
            clocks = GaugeMetricFamily(
                "helpdesk_sla_clocks",
                "SLA clocks by state; on PostgreSQL estimated from the planner's statistics "
                "(refreshed by autovacuum's ANALYZE), exact on SQLite.",
                labels=["state"],
            )
            for state, count in sorted(by_state.items()):
                clocks.add_metric([state], count)
            yield clocks
        forecast = GaugeMetricFamily(
            "helpdesk_sla_breach_forecast",
            "Running clocks due within the window (1h, 4h, 8h, 24h), SLA or a tier's OLA "
            "(source): what breaches if nothing happens; one query for every window and source.",
            labels=["window", "source"],
        )
        for source, counts in forecast_counts_by_source(now=now).items():
            for hours, count in counts.items():
                forecast.add_metric([f"{hours}h", source], count)
        yield forecast
        yield GaugeMetricFamily(
            "helpdesk_sla_events_unapplied",
            "Recorded SLA thresholds whose effects (notifications, escalation) are not applied.",
            value=selectors.sla_events_unapplied(),
        )
        outbox = selectors.outbox_backlog()
        yield GaugeMetricFamily(
            "helpdesk_outbox_backlog",
            "Outbox notifications not delivered yet (pending or being sent).",
            value=outbox.pending,
        )
        yield GaugeMetricFamily(
            "helpdesk_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered outbox notification; 0 when the outbox is empty.",
            value=_seconds_since(outbox.oldest, now),
        )
        breaches = selectors.breach_clocks(now=now)
        register = GaugeMetricFamily(
            "helpdesk_breach_clocks",
            "72-hour clocks of the data-breach register still running; `overdue`: of those, "
            "past the deadline to notify the authority.",
            labels=["state"],
        )
        register.add_metric(["running"], breaches.running)
        register.add_metric(["overdue"], breaches.overdue)
        yield register
        yield GaugeMetricFamily(
            "helpdesk_breach_sweep_lag_seconds",
            "Now minus the oldest breach-clock threshold not recorded yet; 0 when up to date.",
            value=_seconds_since(breaches.oldest_due, now),
        )
        last = GaugeMetricFamily(
            "helpdesk_task_last_success_timestamp_seconds",
            "When a periodic task last finished (Unix time); the label is not `job`, which "
            "Prometheus gives every target.",
            labels=["task"],
        )
        for name, at in sorted(selectors.heartbeats().items()):
            last.add_metric([name], at.timestamp())
        yield last


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition() -> bytes:
    """The text format of one scrape: this process's (or every worker's) request metrics and
    the desk gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DeskCollector())
    return generate_latest(registry)
