#!/usr/bin/env python
"""Server time of the web UI's agent pages, in process (Django's test Client), on DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/ui.py

Seed first (bench/seed.py). Signs in (force_login) as the bench L1 agent `bench-l1-01` and
the manager `bench-manager`, then times each page --runs times after --warmup untimed runs and
prints p50 / p95 / max in milliseconds, the number of SQL queries, and the rows shown:

  queue first        the L1 queue, open tickets, newest first (the tab counts cached, as they are
                     for every viewer but the first in each 15 s)
  queue deep         the same, 'older than' a ticket in the middle of the table, filtered by
                     priority (keyset: no OFFSET, no COUNT)
  queue deep htmx    that page as htmx swaps it (the results block only)
  queue prio sort    sorted by priority then newest, a deep cursor
  queue reference    search by reference (INC-…)
  mine               the agent's own open tickets
  manager all        a manager's view of every open ticket of every tier
  counts cold        the tab counts with the cache cleared before each run (capped counts)
  ticket page        a ticket with the longest history among a sample
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

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def timed(client: Client, url: str, *, runs: int, warmup: int, before=None, **headers) -> dict:
    for _ in range(warmup):
        if before:
            before()
        assert client.get(url, **headers).status_code == 200, url
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        if before:
            before()
        response = client.get(url, **headers)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
        "queries": len(queries.captured_queries),
        "rows": response.content.count(b"data-ticket="),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    total = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    print(
        f"database: {connection.vendor} {connection.settings_dict.get('NAME')}, max ticket id {total:,}"
    )
    agent = User.objects.get(username="bench-l1-01")
    manager = User.objects.get(username="bench-manager")
    agent_client, manager_client = Client(), Client()
    agent_client.force_login(agent)
    manager_client.force_login(manager)
    middle = total // 2
    sample = Ticket.objects.filter(pk__gte=middle).order_by("pk")[:200].values_list("pk", flat=True)
    busiest = (
        Ticket.objects.filter(pk__in=list(sample))
        .annotate(n=Count("events"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )
    reference = Ticket.objects.filter(pk__lte=middle, tier=1).order_by("-pk").first().reference
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    pages = [
        ("queue first", agent_client, "/console/?queue=l1", {}, None),
        ("queue deep", agent_client, f"/console/?queue=l1&priority=3&cursor={middle}", {}, None),
        (
            "queue deep htmx",
            agent_client,
            f"/console/?queue=l1&priority=3&cursor={middle}",
            htmx,
            None,
        ),
        (
            "queue prio sort",
            agent_client,
            f"/console/?queue=l1&sort=priority&cursor=3.{middle}",
            {},
            None,
        ),
        ("queue reference", agent_client, f"/console/?queue=l1&status=all&q={reference}", {}, None),
        ("queue words search", agent_client, "/console/?queue=l1&q=printer", {}, None),
        ("mine", agent_client, "/console/?queue=mine", {}, None),
        ("manager all", manager_client, "/console/?queue=l2&status=all", {}, None),
        ("counts cold", agent_client, "/console/counts/", {}, cache.clear),
        (f"ticket page ({busiest[1]} events)", agent_client, f"/tickets/{busiest[0]}/", {}, None),
    ]
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'rows':>5}")
    for name, client, url, headers, before in pages:
        r = timed(client, url, runs=args.runs, warmup=args.warmup, before=before, **headers)
        print(
            f"{name:28} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} {r['rows']:5d}"
        )


if __name__ == "__main__":
    main()
