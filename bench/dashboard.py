#!/usr/bin/env python
"""Server time of the SLA dashboard, in process (Django's test Client), on DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_dash_bench python bench/dashboard.py

Seed first with bench/seed.py (tickets, events, comments). seed.py writes no SLA clocks, so
this script first creates them, in bulk SQL, for every ticket that has none (`--no-clocks`
skips that): a first-response clock and a resolution clock per ticket, on the default policy's
24×7 targets for the ticket's priority —

  first response  started at creation; stopped at first_response_at (met if by its due time,
                  breached otherwise); cancelled at closed_at for tickets closed without a
                  reply; running otherwise;
  resolution      paused time = the sum of the ticket's hold → resume intervals (its events);
                  stopped at resolved_at, met or breached against created + target + paused;
                  cancelled at closed_at when closed unresolved; paused since the last hold for
                  tickets on hold; running otherwise. One cycle (seeded reopens are not split).

That is what `manage.py sla_recompute` would derive for these lifecycles, at a fraction of the
time (one INSERT … SELECT instead of replaying a million tickets' events through Python).
Then it marks every clock past due as swept (breach recorded), records the verdicts the app
records as it goes (`sla.outcomes`: met clocks and recorded breaches, with their day counts)
and vacuums what it wrote.
Then it signs in as `bench-manager`, times each dashboard variant --runs times after --warmup
untimed runs and prints p50 / p95 / max in milliseconds and the number of SQL queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from sla.models import SlaOutcomeDay  # noqa: E402
from sla.outcomes import (  # noqa: E402
    outcome_days_rebuild,
    outcomes_backfill,
    times_to_resolve_backfill,
)
from tickets.models import Ticket  # noqa: E402

FIRST_RESPONSE_HOURS = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}
RESOLUTION_HOURS = {1: 4, 2: 8, 3: 24, 4: 48, 5: 72}

CLOCKS_SQL = """
WITH targets(priority, fr, res) AS (VALUES {targets}),
holds AS (
    SELECT ticket_id, transition, created_at,
           lead(created_at) OVER w AS next_at, lead(transition) OVER w AS next_transition
    FROM tickets_ticketevent
    WHERE transition IN ('hold', 'resume') AND ticket_id > %(after)s
    WINDOW w AS (PARTITION BY ticket_id ORDER BY created_at, id)
),
paused AS (
    SELECT ticket_id,
           COALESCE(SUM(next_at - created_at) FILTER (WHERE next_transition = 'resume'),
                    interval '0') AS paused,
           MAX(created_at) FILTER (WHERE next_transition IS NULL) AS paused_since
    FROM holds WHERE transition = 'hold' GROUP BY ticket_id
),
base AS (
    SELECT t.id, t.status, t.created_at, t.first_response_at, t.resolved_at, t.closed_at,
           t.priority, tg.fr, tg.res, COALESCE(p.paused, interval '0') AS paused,
           p.paused_since
    FROM tickets_ticket t
    JOIN targets tg ON tg.priority = t.priority
    LEFT JOIN paused p ON p.ticket_id = t.id
    WHERE t.id > %(after)s
)
INSERT INTO sla_slaclock (ticket_id, metric, cycle, priority, started_at, target, paused,
    paused_since, at_risk_at, warning_at, due_at, stopped_at, state, alert_level,
    next_alert_at, created_at, updated_at)
SELECT id, 'first_response', 1, priority, created_at, fr, interval '0', NULL::timestamptz,
       created_at + fr * 0.75, created_at + fr * 0.9, created_at + fr,
       COALESCE(first_response_at, CASE WHEN status = 'closed' THEN closed_at END),
       CASE WHEN first_response_at IS NOT NULL AND first_response_at <= created_at + fr
                THEN 'met'
            WHEN first_response_at IS NOT NULL THEN 'breached'
            WHEN status = 'closed' THEN 'cancelled'
            ELSE 'running' END,
       0, NULL::timestamptz, now(), now()
FROM base
UNION ALL
SELECT id, 'resolution', 1, priority, created_at, res, paused,
       CASE WHEN status = 'on_hold' THEN COALESCE(paused_since, created_at) END,
       created_at + res * 0.75 + paused, created_at + res * 0.9 + paused,
       created_at + res + paused,
       COALESCE(resolved_at, CASE WHEN status = 'closed' THEN closed_at END),
       CASE WHEN resolved_at IS NOT NULL AND resolved_at <= created_at + res + paused
                THEN 'met'
            WHEN resolved_at IS NOT NULL THEN 'breached'
            WHEN status = 'closed' THEN 'cancelled'
            WHEN status = 'on_hold' THEN 'paused'
            ELSE 'running' END,
       0, NULL::timestamptz, now(), now()
FROM base
"""


def create_clocks() -> None:
    """Clocks for the tickets above the highest ticket id that already has clocks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(ticket_id), 0) FROM sla_slaclock")
        after = cursor.fetchone()[0]
        targets = ", ".join(
            f"({p}, interval '{FIRST_RESPONSE_HOURS[p]} hours', "
            f"interval '{RESOLUTION_HOURS[p]} hours')"
            for p in FIRST_RESPONSE_HOURS
        )
        start = time.perf_counter()
        cursor.execute(CLOCKS_SQL.format(targets=targets), {"after": after})
        created = cursor.rowcount
        cursor.execute("ANALYZE sla_slaclock")
        cursor.execute("ANALYZE tickets_ticket")
        print(
            f"clocks: {created:,} created for tickets after id {after:,} "
            f"in {time.perf_counter() - start:.1f} s (bulk SQL)"
        )


# What the sweep would have recorded by now: every clock past its due time has its breach
# recorded (alert level 100, nothing more to record).
SWEPT_SQL = """
UPDATE sla_slaclock SET alert_level = 100, next_alert_at = NULL
WHERE alert_level < 100 AND (
    state = 'breached'
    OR (state = 'running' AND due_at < now())
    OR (state = 'paused' AND due_at < paused_since))
"""


def record_outcomes() -> None:
    """Mark the breaches as swept, then record the verdicts and day counts the app records as
    it goes (sla.outcomes), for clocks that have none yet."""
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SWEPT_SQL)
        swept = cursor.rowcount
    times = times_to_resolve_backfill()
    added = outcomes_backfill(batch_size=20000)
    days = outcome_days_rebuild() if added else SlaOutcomeDay.objects.count()
    with connection.cursor() as cursor:
        # As autovacuum would before long: the dashboard's index-only scans need the
        # visibility map of the rows just written (without it every row is a heap fetch).
        cursor.execute(
            "VACUUM (ANALYZE) tickets_ticket, sla_slaclock, sla_slaoutcome, sla_slaoutcomeday"
        )
    print(
        f"outcomes: {times:,} times to resolve, {swept:,} breaches marked swept, "
        f"{added:,} verdicts recorded, "
        f"{days:,} day rows, in {time.perf_counter() - start:.1f} s"
    )


def timed(client: Client, url: str, *, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
        "queries": len(queries.captured_queries),
    }


VARIANTS = [
    ("default (7 days)", "/reports/sla/"),
    ("today", "/reports/sla/?period=today"),
    ("30 days", "/reports/sla/?period=30d"),
    ("90 days, priority P3", "/reports/sla/?period=90d&priority=3"),
    ("90 days, tier L2", "/reports/sla/?period=90d&tier=2"),
    ("90 days, service requests", "/reports/sla/?period=90d&kind=service_request"),
    ("90 days, category", "/reports/sla/?period=90d&category=1"),  # Hardware: 5 of 27
    ("90 days, no filter", "/reports/sla/?period=90d"),
    ("API, 90 days, P3", "/api/reports/dashboard/?period=90d&priority=3"),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-clocks", action="store_true", help="do not create SLA clocks")
    parser.add_argument("--only", default="", help="time only the variants whose name has this")
    args = parser.parse_args()
    if connection.vendor == "postgresql" and not args.no_clocks:
        create_clocks()
        record_outcomes()

    tickets = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, ")
    print(f"max ticket id {tickets:,}; runs {args.runs} after {args.warmup} warm-up")
    manager = User.objects.get(username="bench-manager")
    client = Client()
    client.force_login(manager)
    print(f"{'variant':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, url in [(name, url) for name, url in VARIANTS if args.only in name]:
        result = timed(client, url, runs=args.runs, warmup=args.warmup)
        print(
            f"{name:<24} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} "
            f"{result['queries']:8d}"
        )


if __name__ == "__main__":
    main()
