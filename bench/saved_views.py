#!/usr/bin/env python
"""What saved views add to the console page, on DATABASE_URL (seed first: bench/seed.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/saved_views.py

As the bench L1 agent `bench-l1-01`, times the L1 queue page (bench/ui.py's `timed`: p50 / p95 /
max ms, SQL queries) with no saved view, then with --views views of varied filters (priority,
category, SLA at risk / breached, unassigned, a word, all statuses), counts cold (the cache
cleared before each run: every count computed, in one statement) and warm; then the counts
alone, cold. The views it creates are deleted at the end.
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
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.ui import timed  # noqa: E402
from savedviews.counts import saved_view_counts  # noqa: E402
from savedviews.models import SavedView  # noqa: E402
from savedviews.selectors import saved_views_visible_to  # noqa: E402
from savedviews.services import saved_view_create  # noqa: E402
from tickets.models import Category  # noqa: E402

PREFIX = "bench-view-"


def _queries(n: int) -> list[str]:
    categories = list(Category.objects.filter(is_active=True).values_list("pk", flat=True)[:6])
    shapes = [
        lambda i: f"priority={i % 5 + 1}",
        lambda i: f"category={categories[i % len(categories)]}" if categories else "sort=oldest",
        lambda i: "sla=at_risk",
        lambda i: "sla=breached&sort=priority",
        lambda i: "assignee=none",
        lambda i: "q=printer",
        lambda i: f"status=all&priority={i % 5 + 1}",
        lambda i: "queue=mine",
    ]
    return [shapes[i % len(shapes)](i) + f"&kind={'incident' if i % 2 else ''}" for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    agent = User.objects.get(username="bench-l1-01")
    SavedView.objects.filter(owner=agent, name__startswith=PREFIX).delete()
    client = Client()
    client.force_login(agent)
    url = "/console/?queue=l1"
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")

    def show(name: str, r: dict) -> None:
        print(f"{name:34} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d}")

    show(
        "queue, no view, cold",
        timed(client, url, runs=args.runs, warmup=args.warmup, before=cache.clear),
    )
    try:
        for i, query in enumerate(_queries(args.views)):
            saved_view_create(owner=agent, name=f"{PREFIX}{i:02d}", query=query)
        label = f"queue, {args.views} views"
        show(
            f"{label}, cold",
            timed(client, url, runs=args.runs, warmup=args.warmup, before=cache.clear),
        )
        show(f"{label}, warm", timed(client, url, runs=args.runs, warmup=args.warmup))
        views = list(saved_views_visible_to(user=agent))
        times = []
        for _ in range(args.runs):
            cache.clear()
            start = time.perf_counter()
            saved_view_counts(user=agent, views=views)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(
            f"{'the counts alone, cold':34} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}"
        )
    finally:
        SavedView.objects.filter(owner=agent, name__startswith=PREFIX).delete()


if __name__ == "__main__":
    main()
