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

--live N (issue 21, the live queue): the same pages are timed while N simulated agents poll
/console/live/ every tickets.live.POLL_SECONDS, each with the ETag of its last answer (as
static/js/live.js does), served by --live-threads threads (gunicorn.conf.py: 2 × 4), and a
writer files a ticket every --live-write-seconds (so the L1 agents' polls render again). Prints
the polls per second, the share answered 304, wall and CPU milliseconds per poll of each kind,
and the queries of each. Use HELPDESK_CACHE_URL=redis://… for the production cache.
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


class LivePhase:
    """N agents polling the live queue on a few threads, and a writer, in the background."""

    def __init__(self, *, agents: int, threads: int, write_seconds: float) -> None:
        import heapq
        import threading

        from tickets import live

        self.interval = live.POLL_SECONDS
        self.heapq = heapq
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.samples: dict[str, list[tuple[float, float]]] = {"304": [], "200": []}
        users = list(
            User.objects.filter(username__startswith="bench-l", is_active=True).order_by("username")
        )
        self.clients = []
        for i in range(agents):
            client = Client()
            client.force_login(users[i % len(users)])
            self.clients.append({"client": client, "etag": ""})
        start = time.monotonic()
        # Staggered, as agents who opened the console at different moments.
        self.due = [(start + self.interval * i / agents, i) for i in range(agents)]
        heapq.heapify(self.due)
        self.threads = [threading.Thread(target=self._serve, daemon=True) for _ in range(threads)]
        self.writer = threading.Thread(target=self._write, args=(write_seconds,), daemon=True)
        self.started = time.monotonic()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()
        self.writer.start()

    def _next(self) -> int | None:
        with self.ready:
            while not self.stop.is_set():
                when, index = self.due[0] if self.due else (None, None)
                now = time.monotonic()
                if when is not None and when <= now:
                    self.heapq.heappop(self.due)
                    return index
                self.ready.wait(timeout=0.05 if when is None else min(0.05, when - now))
        return None

    def _serve(self) -> None:
        try:
            while (index := self._next()) is not None:
                agent = self.clients[index]
                headers = {"HTTP_IF_NONE_MATCH": agent["etag"]} if agent["etag"] else {}
                wall, cpu = time.perf_counter(), time.thread_time()
                response = agent["client"].get("/console/live/?queue=l1", **headers)
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                agent["etag"] = response.get("ETag", agent["etag"])
                with self.ready:
                    self.samples[str(response.status_code)].append((wall * 1000, cpu * 1000))
                    self.heapq.heappush(self.due, (time.monotonic() + self.interval, index))
                    self.ready.notify()
        finally:
            connection.close()

    def _write(self, every: float) -> None:
        from tickets import services

        requester = User.objects.filter(username__startswith="bench-req-").first()
        try:
            while not self.stop.wait(every):
                services.ticket_create(
                    requester=requester, title="Live bench: printer jam", description="…"
                )
        finally:
            connection.close()

    def finish(self) -> None:
        self.stop.set()
        with self.ready:
            self.ready.notify_all()
        for thread in [*self.threads, self.writer]:
            thread.join(timeout=30)
        elapsed = time.monotonic() - self.started
        polls = sum(len(v) for v in self.samples.values())
        print(
            f"\nlive: {len(self.clients)} agents every {self.interval} s on {len(self.threads)} "
            f"threads: {polls} polls in {elapsed:.0f} s = {polls / elapsed:.1f} polls/s, "
            f"{len(self.samples['304']) / max(polls, 1):.0%} answered 304"
        )
        print(f"{'poll':10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8}")
        queries = self._queries()
        for kind, rows in self.samples.items():
            if not rows:
                continue
            walls = sorted(w for w, _c in rows)
            cpu = statistics.mean(c for _w, c in rows)
            p95 = walls[max(0, round(0.95 * len(walls)) - 1)]
            print(
                f"{kind:10} {len(rows):6d} {statistics.median(walls):8.1f} {p95:8.1f} "
                f"{cpu:8.2f} {queries[kind]:8d}"
            )
        per_agent = statistics.mean(c for rows in self.samples.values() for _w, c in rows)
        print(
            f"per connected agent: {1 / self.interval:.2f} polls/s, "
            f"{per_agent / self.interval:.2f} ms of CPU per second"
        )

    def _queries(self) -> dict[str, int]:
        client = self.clients[0]["client"]
        with CaptureQueriesContext(connection) as rendered:
            etag = client.get("/console/live/?queue=l1").get("ETag", "")
        with CaptureQueriesContext(connection) as unchanged:
            client.get("/console/live/?queue=l1", HTTP_IF_NONE_MATCH=etag)
        return {"200": len(rendered.captured_queries), "304": len(unchanged.captured_queries)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--live", type=int, default=0, help="simulated agents polling")
    parser.add_argument("--live-threads", type=int, default=8)
    parser.add_argument("--live-write-seconds", type=float, default=2.0)
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
    phase = None
    if args.live:
        phase = LivePhase(
            agents=args.live, threads=args.live_threads, write_seconds=args.live_write_seconds
        )
        phase.start()
        # The counts stay cached between runs as they do for a busy desk ("counts cold" would
        # clear the live versions too).
        pages = [page for page in pages if page[0] != "counts cold"]
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'rows':>5}")
    for name, client, url, headers, before in pages:
        r = timed(client, url, runs=args.runs, warmup=args.warmup, before=before, **headers)
        print(
            f"{name:28} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {r['queries']:8d} {r['rows']:5d}"
        )
    if phase is not None:
        phase.finish()


if __name__ == "__main__":
    main()
