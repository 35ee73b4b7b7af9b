#!/usr/bin/env python
"""Server time of the breach forecast (page, API, CSV-free), in process, on DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/forecast.py

Seed first with bench/seed.py, then create the SLA clocks with bench/dashboard.py (seed.py
writes none). Signs in as `bench-manager` (every tier) and as the lead of the L2 bench group
(its first L2 agent made lead here when the group has none: the tier-lead scope), times each variant
--runs times after --warmup untimed runs and prints p50 / p95 / max in milliseconds and the
number of SQL queries; then the Prometheus gauge's read (every window, one query) the same way,
how many clocks each window holds (the forecast reads those, not the table), and the queue
health page as a baseline of what the machine's load costs any page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
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
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from escalation.models import SupportGroup  # noqa: E402
from sla.forecast import ForecastScope, forecast, forecast_counts  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def timed(call: Callable[[], object], *, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        call()
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
        "queries": len(queries.captured_queries),
    }


def get(client: Client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def tier_lead() -> User:
    group = SupportGroup.objects.select_related("lead").get(name="Bench L2 technical")
    if group.lead is None:
        group.lead = User.objects.filter(username__startswith="bench-l2-").order_by("username")[0]
        group.save(update_fields=["lead"])
    assert group.lead is not None
    return group.lead


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    tickets = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    now = timezone.now()
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"max ticket id {tickets:,}; runs {args.runs} after {args.warmup} warm-up")
    counts = forecast_counts(now=now)
    overdue = forecast(hours=1, scope=ForecastScope(), now=now, limit=1).overdue
    print(
        "running clocks due in each window: "
        + ", ".join(f"{hours} h: {n:,}" for hours, n in counts.items())
        + f"; already past due: {overdue:,}"
    )

    manager = Client()
    manager.force_login(User.objects.get(username="bench-manager"))
    lead = Client()
    lead.force_login(tier_lead())
    deep = forecast(hours=24, scope=ForecastScope(), now=now).next_cursor
    variants: list[tuple[str, Callable[[], object]]] = [
        ("page 1 h", get(manager, "/sla/forecast/?hours=1")),
        ("page 4 h (default)", get(manager, "/sla/forecast/")),
        ("page 8 h", get(manager, "/sla/forecast/?hours=8")),
        ("page 24 h", get(manager, "/sla/forecast/?hours=24")),
        ("page 24 h, page 2", get(manager, f"/sla/forecast/?hours=24&cursor={deep or ''}")),
        ("page 24 h, L2 lead", get(lead, "/sla/forecast/?hours=24")),
        ("API 4 h", get(manager, "/api/sla/forecast/?hours=4")),
        ("API 24 h", get(manager, "/api/sla/forecast/?hours=24")),
        ("gauge (all windows)", lambda: forecast_counts(now=timezone.now())),
        # A page measured elsewhere, timed now on the same machine: what the load costs.
        ("baseline: queue health", get(manager, "/reports/queues/")),
    ]
    print(f"{'variant':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, call in variants:
        result = timed(call, runs=args.runs, warmup=args.warmup)
        print(
            f"{name:<24} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} "
            f"{result['queries']:8d}"
        )


if __name__ == "__main__":
    main()
