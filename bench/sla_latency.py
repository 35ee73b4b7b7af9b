#!/usr/bin/env python
"""SLA breach latency: a real Celery worker and beat on Redis, 100 deadlines, the delay between
each deadline and its recorded breach (and its applied effects).

    .venv/bin/python bench/sla_latency.py [--tickets 100] [--period 30] [--spread 90]

Uses the bench database helpdesk_sla_bench (override with SLA_BENCH_DATABASE_URL), which it
EMPTIES first (TRUNCATE of tickets, cascading), and Redis DB 3 (SLA_BENCH_REDIS_URL), which it
flushes. Creates --tickets tickets through the services, then moves their resolution deadlines
to random moments over the next --spread seconds (their warnings counted as already sent), so
the deadlines fall at every phase of the sweep period. Starts `celery worker` and `celery beat`
(sweep every --period seconds) as subprocesses, waits for every breach (bounded), stops them,
and prints p50/p95/p99/max of (SlaEvent.created_at − due_at) and (applied_at − due_at).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get(
    "SLA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_sla_bench"
)
REDIS_URL = os.environ.get("SLA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DATABASE_POOL"] = "0"
os.environ["CELERY_BROKER_URL"] = REDIS_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HELPDESK_LOG_LEVEL", "WARNING")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_sweep import ensure_database  # noqa: E402  (also sets up Django on the bench DB)

ensure_database()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from sla.models import Metric, SlaClock, SlaEvent, SlaEventKind  # noqa: E402
from tickets import services  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--period", type=int, default=30, help="sweep period (s)")
    parser.add_argument("--spread", type=int, default=90, help="deadlines over this many s")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS-sla.md"))
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_ticket, notifications_notification, sla_slaevent CASCADE")
    requester, _ = User.objects.get_or_create(
        username="sla-latency-requester", defaults={"email": "req@latency.invalid"}
    )

    # The tickets (their notifications wait in the outbox until the worker is up).
    tickets = [
        services.ticket_create(requester=requester, title=f"Latency {n}", description="x")
        for n in range(args.tickets)
    ]
    start = datetime.now(UTC) + timedelta(seconds=5)
    due = {t.pk: start + timedelta(seconds=random.uniform(0, args.spread)) for t in tickets}
    for ticket_id, when in due.items():
        SlaClock.objects.filter(ticket_id=ticket_id, metric=Metric.RESOLUTION).update(
            at_risk_at=when - timedelta(hours=1),
            warning_at=when - timedelta(minutes=30),
            due_at=when,
            alert_level=90,  # the warnings count as sent: only the breach is measured
            next_alert_at=when,
        )
    SlaClock.objects.filter(metric=Metric.FIRST_RESPONSE).update(next_alert_at=None)

    env = {
        **os.environ,
        "HELPDESK_SLA_SWEEP_SECONDS": str(args.period),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    celery = [sys.executable, "-m", "celery", "-A", "helpdesk"]
    workdir = Path(tempfile.mkdtemp(prefix="sla-latency-"))
    env["HELPDESK_VAR_DIR"] = str(workdir)
    logs = [open(workdir / "worker.log", "w"), open(workdir / "beat.log", "w")]  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [*celery, "worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*celery, "beat", "--loglevel=INFO", "-s", str(workdir / "schedule")],
            cwd=ROOT,
            env=env,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        ),
    ]
    deadline = time.monotonic() + 5 + args.spread + 3 * args.period + 60
    breaches = SlaEvent.objects.filter(metric=Metric.RESOLUTION, kind=SlaEventKind.BREACH)
    try:
        while time.monotonic() < deadline:
            if breaches.filter(applied_at__isnull=False).count() >= args.tickets:
                break
            time.sleep(1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()

    rows = list(
        breaches.filter(ticket_id__in=due).values_list("ticket_id", "created_at", "applied_at")
    )
    recorded = [(created - due[tid]).total_seconds() for tid, created, _ in rows]
    applied = [(done - due[tid]).total_seconds() for tid, _, done in rows if done is not None]
    missing = args.tickets - len(rows)

    def summary(values: list[float]) -> str:
        if not values:
            return "n/a"
        return (
            f"p50 {percentile(values, 50):.1f} s, p95 {percentile(values, 95):.1f} s, "
            f"p99 {percentile(values, 99):.1f} s, max {max(values):.1f} s "
            f"(mean {statistics.mean(values):.1f} s)"
        )

    text = "\n".join(
        [
            "",
            "## SLA breach latency (`bench/sla_latency.py`)",
            "",
            f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, a real worker (solo pool) "
            f"and beat on Redis, sweep every {args.period} s; {args.tickets} resolution "
            f"deadlines spread at random over {args.spread} s.",
            "",
            f"- deadline → breach recorded: {summary(recorded)}",
            f"- deadline → effects applied (timeline, raise to managers, outbox): "
            f"{summary(applied)}",
            f"- breaches missing at the end: {missing}; duplicates: "
            f"{len(rows) - len({r[0] for r in rows})}",
            "",
        ]
    )
    print(text)
    results = Path(args.results)
    previous = results.read_text() if results.exists() else ""
    marker = "\n## SLA breach latency"
    if marker in previous:
        previous = previous[: previous.index(marker)]
    results.write_text(previous.rstrip("\n") + "\n" + text)


if __name__ == "__main__":
    main()
