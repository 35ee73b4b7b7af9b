#!/usr/bin/env python
"""Server time of the SLA dashboard, in process (Django's test Client), on DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_dash_bench python bench/dashboard.py

Seed first with bench/seed.py (tickets, events, comments). seed.py writes no SLA clocks, so
this script first creates them for every ticket above the highest ticket id that has any
(`--no-clocks` skips that), with the app's own code: each chunk of tickets' histories is read in
three queries and replayed through `sla.services.clocks_replay` (the rules `sla_recompute` and
`sla_verify` use), and the clocks written in bulk — every metric and cycle (next response,
reopens), provisional priority then prioritized, pauses that began after a moment not moving
it, late cancels breached. Each clock's alert level is what the sweep would have recorded by
now (no SlaEvent rows are written: nothing is notified). Then it records the verdicts the app
records (`sla.outcomes`: met clocks and recorded breaches, with their day counts) and vacuums
what it wrote; `manage.py sla_verify` on the result is clean.
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

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from sla.engine import next_alert_at, reached_level  # noqa: E402
from sla.models import SlaClock, SlaOutcomeDay  # noqa: E402
from sla.outcomes import (  # noqa: E402
    outcome_days_rebuild,
    outcomes_backfill,
    times_to_resolve_backfill,
)
from sla.services import REPLAY_TICKET_FIELDS, ReplayContext, clocks_replay, histories_of  # noqa: E402
from tickets.models import Ticket  # noqa: E402

CHUNK = 2000


def create_clocks() -> None:
    """Clocks for the tickets above the highest ticket id that already has clocks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(ticket_id), 0) FROM sla_slaclock")
        after = cursor.fetchone()[0]
    start = time.perf_counter()
    now = timezone.now()
    context = ReplayContext()
    tickets = Ticket.objects.filter(pk__gt=after).order_by("pk").only(*REPLAY_TICKET_FIELDS)
    created, last, chunks = 0, after, 0
    while True:
        chunk = list(tickets.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        histories = histories_of([t.pk for t in chunk])
        clocks = []
        for ticket in chunk:
            for clock in clocks_replay(
                ticket=ticket, context=context, history=histories[ticket.pk], now=now
            ):
                # What the sweep would have recorded by now.
                clock.alert_level = max(clock.alert_level, reached_level(clock, now))
                clock.next_alert_at = next_alert_at(clock)
                clocks.append(clock)
        with transaction.atomic():
            SlaClock.objects.bulk_create(clocks, batch_size=5000)
        created += len(clocks)
        chunks += 1
        if chunks % 50 == 0:
            print(f"  … {created:,} clocks up to ticket {last:,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sla_slaclock")
        cursor.execute("ANALYZE tickets_ticket")
    print(
        f"clocks: {created:,} created for tickets after id {after:,} "
        f"in {time.perf_counter() - start:.1f} s (replayed)"
    )


def record_outcomes() -> None:
    """Record the verdicts and day counts the app records as it goes (sla.outcomes), for
    clocks that have none yet."""
    start = time.perf_counter()
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
        f"outcomes: {times:,} times to resolve, {added:,} verdicts recorded, "
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
