#!/usr/bin/env python
"""SLA sweep benchmark: one sweep with N open tickets of which --due (1000) are due.

    .venv/bin/python bench/sla_sweep.py                 # 10k and 100k open tickets
    .venv/bin/python bench/sla_sweep.py --sizes 10000 100000 1000000

Uses its own database, helpdesk_sla_bench (created and migrated when missing; override with
SLA_BENCH_DATABASE_URL). Tickets and their two clocks (first response, resolution) go in with
set-based INSERT … SELECT generate_series (one statement per table and size step); the table
grows from one size to the next. For each size, --due resolution clocks chosen at random are
made overdue, then:

  record   the sweep proper (sla.sweep.sla_record_due): claim, insert the SlaEvents, move the
           clocks on — wall time and query count;
  apply    the effects of --apply-sample of those events (timeline, notifications, raise to
           the managers, escalation): time and queries per event (they run one per event,
           each in its own transaction, and do not depend on the table size either).

Prints a table and writes it to bench/RESULTS-sla.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get(
    "SLA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_sla_bench"
)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DATABASE_POOL"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HELPDESK_LOG_LEVEL", "WARNING")


def ensure_database() -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(BENCH_URL)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from sla.models import SlaEvent, SlaPolicy  # noqa: E402
from sla.sweep import _apply_next, sla_record_due  # noqa: E402


def seed_people() -> tuple[int, int]:
    requester, _ = User.objects.get_or_create(
        username="sla-bench-requester", defaults={"email": "req@bench.invalid"}
    )
    User.objects.get_or_create(
        username="sla-bench-manager",
        defaults={"email": "manager@bench.invalid", "role": Role.MANAGER},
    )
    policy = SlaPolicy.objects.get(name="Default (24×7)")
    return requester.pk, policy.pk


def grow_to(target: int, requester_id: int, policy_id: int, now: datetime) -> float:
    """Add open tickets (in diagnosis, P3, L1) and their two clocks until there are `target`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        have = cursor.fetchone()[0]
        if have >= target:
            return 0.0
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO tickets_ticket (kind, title, description, source, requester_id,
                contact_name, contact_email, contact_phone, affected, impact, urgency, priority,
                priority_is_provisional, priority_override_reason, tier, status, closure_code,
                resolution_summary, tracking_token, created_at, updated_at, escalation_count,
                reopen_count)
            SELECT 'incident', 'Bench ticket ' || g, 'x', 'web', %(requester)s, '', '', '', '',
                'medium', 'medium', 3, false, '', 1, 'in_diagnosis', '', '',
                'sla-bench-' || g, %(created)s, %(created)s, 0, 0
            FROM generate_series(%(first)s, %(last)s) AS g
            """,
            {"requester": requester_id, "created": now, "first": have + 1, "last": target},
        )
        # Every ticket: first response already met; resolution running, 24 h from `now`, so
        # its next threshold (75 %) is 18 h away: in the sweep's index, but not due.
        cursor.execute(
            """
            INSERT INTO sla_slaclock (ticket_id, metric, cycle, priority, policy_id, started_at,
                target, paused, at_risk_at, warning_at, due_at, stopped_at, state, alert_level,
                next_alert_at, created_at, updated_at)
            SELECT t.id, m.metric, 1, 3, %(policy)s, %(now)s,
                CASE m.metric WHEN 'resolution' THEN interval '24 hours' ELSE interval '2 hours' END,
                interval '0',
                %(now)s + CASE m.metric WHEN 'resolution' THEN interval '18 hours' ELSE interval '90 minutes' END,
                %(now)s + CASE m.metric WHEN 'resolution' THEN interval '21.6 hours' ELSE interval '108 minutes' END,
                %(now)s + CASE m.metric WHEN 'resolution' THEN interval '24 hours' ELSE interval '2 hours' END,
                CASE m.metric WHEN 'resolution' THEN NULL ELSE %(now)s + interval '10 minutes' END,
                CASE m.metric WHEN 'resolution' THEN 'running' ELSE 'met' END,
                0,
                CASE m.metric WHEN 'resolution' THEN %(now)s + interval '18 hours' ELSE NULL END,
                %(now)s, %(now)s
            FROM tickets_ticket t
            CROSS JOIN (VALUES ('first_response'), ('resolution')) AS m(metric)
            WHERE t.id > (SELECT coalesce(max(ticket_id), 0) FROM sla_slaclock)
            """,
            {"policy": policy_id, "now": now},
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE sla_slaclock")
        return time.perf_counter() - started


def make_due(count: int, now: datetime) -> None:
    """Reset the previous round and make `count` random resolution clocks overdue."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_notification")
        cursor.execute("DELETE FROM tickets_ticketevent")
        cursor.execute("DELETE FROM sla_slaevent")
        cursor.execute(
            """
            UPDATE tickets_ticket SET status = 'in_diagnosis', tier = 1, escalation_count = 0,
                last_escalated_at = NULL, assignee_id = NULL
            WHERE status <> 'in_diagnosis' OR tier <> 1
            """
        )
        cursor.execute(
            """
            UPDATE sla_slaclock SET alert_level = 0, at_risk_at = %(now)s + interval '18 hours',
                warning_at = %(now)s + interval '21.6 hours', due_at = %(now)s + interval '24 hours',
                next_alert_at = %(now)s + interval '18 hours'
            WHERE metric = 'resolution' AND (alert_level > 0 OR next_alert_at < %(now)s)
            """,
            {"now": now},
        )
        cursor.execute(
            """
            UPDATE sla_slaclock SET at_risk_at = %(now)s - interval '7 hours',
                warning_at = %(now)s - interval '4 hours', due_at = %(now)s - interval '1 minute',
                next_alert_at = %(now)s - interval '7 hours'
            WHERE id IN (
                SELECT id FROM sla_slaclock WHERE metric = 'resolution'
                ORDER BY random() LIMIT %(count)s
            )
            """,
            {"now": now, "count": count},
        )
        cursor.execute("ANALYZE sla_slaclock")


def explain_claim(now: datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
            SELECT id FROM sla_slaclock WHERE next_alert_at < %s
            ORDER BY next_alert_at LIMIT 500 FOR UPDATE SKIP LOCKED
            """,
            [now],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def measure(size: int, due: int, sample: int, now: datetime) -> dict[str, Any]:
    make_due(due, now)
    plan = explain_claim(now)
    connection.queries_log.clear()  # CaptureQueriesContext counts within a 9000-entry log
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        seen, recorded = sla_record_due(now=now)
        record_s = time.perf_counter() - started
    assert (seen, recorded) == (due, due), (seen, recorded)
    assert SlaEvent.objects.count() == due
    record_queries = len(ctx.captured_queries)

    per_event_ms: list[float] = []
    per_event_queries: list[int] = []
    for _ in range(sample):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            assert _apply_next(failed=[]) is True
            per_event_ms.append((time.perf_counter() - started) * 1000)
        per_event_queries.append(len(ctx.captured_queries))
    # A second sweep finds nothing: exactly once.
    assert sla_record_due(now=now) == (0, 0)
    return {
        "plan": plan,
        "size": size,
        "due": due,
        "record_ms": record_s * 1000,
        "record_queries": record_queries,
        "apply_ms": statistics.median(per_event_ms),
        "apply_queries": statistics.median(per_event_queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--apply-sample", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="sweeps per size (best is kept)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS-sla.md"))
    args = parser.parse_args()

    call_command("migrate", verbosity=0, interactive=False)
    requester_id, policy_id = seed_people()
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    plan = ""
    for size in sorted(args.sizes):
        seeded = grow_to(size, requester_id, policy_id, now - timedelta(hours=1))
        if seeded:
            print(f"seeded up to {size:,} open tickets in {seeded:.1f} s", flush=True)
        runs = [measure(size, args.due, args.apply_sample, now) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["record_ms"])
        best["record_ms_median"] = statistics.median(r["record_ms"] for r in runs)
        rows.append(best)
        plan = best["plan"]
        print(
            f"{size:>9,} open, {args.due} due: sweep {best['record_ms']:.0f} ms "
            f"(median {best['record_ms_median']:.0f}) in {best['record_queries']} queries; "
            f"effects {best['apply_ms']:.1f} ms / {best['apply_queries']:.0f} queries per event",
            flush=True,
        )
    write_results(args, rows, plan)


def write_results(args: argparse.Namespace, rows: list[dict[str, Any]], plan: str) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    lines = [
        "## SLA sweep (`bench/sla_sweep.py`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores ({cpu}), PostgreSQL {pg} on the "
        "same machine, Python " + platform.python_version() + ".",
        "",
        f"One sweep with N open tickets (2 clocks each) of which {args.due} resolution clocks are "
        "overdue: *record* is `sla_record_due` (claim the due clocks, insert the SlaEvents, move "
        f"the clocks on; batches of 500), best of {args.repeat} (median beside it). *effects* is "
        "one event's timeline entry, notifications, raise to the managers and escalation, in its "
        f"own transaction (median over {args.apply_sample} events).",
        "",
        "| open tickets | clocks | due | record (ms) | median (ms) | record queries | effects per event (ms) | queries per event |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['size']):,} | {2 * int(r['size']):,} | {int(r['due'])} | "
            f"{r['record_ms']:.0f} | {r['record_ms_median']:.0f} | {int(r['record_queries'])} | "
            f"{r['apply_ms']:.1f} | {r['apply_queries']:.0f} |"
        )
    lines += [
        "",
        "*record queries* counts every statement, BEGIN and COMMIT included: two batches of "
        "(claim, insert, update) and a last claim that finds nothing, each in its transaction. "
        "The time grows with the due clocks, not with the table.",
        "",
        "The claim query at the largest size with the clocks due (`EXPLAIN ANALYZE`, before the "
        "sweep): it reads the partial index `sla_clock_sweep_idx` up to the batch size only.",
        "",
        "```",
        plan,
        "```",
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    results = Path(args.results)
    previous = results.read_text() if results.exists() else ""
    marker = "\n## SLA breach latency"
    kept = previous[previous.index(marker) :] if marker in previous else ""
    results.write_text(text + kept)


if __name__ == "__main__":
    main()
