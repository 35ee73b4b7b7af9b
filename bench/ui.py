#!/usr/bin/env python
"""Server time of the web UI's agent pages on DATABASE_URL: in process (Django's test Client), or
over HTTP from gunicorn (--gunicorn).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/ui.py
    HELPDESK_CACHE_URL=redis://127.0.0.1:6379/2 DATABASE_URL=… python bench/ui.py --gunicorn --live 50

Seed first (bench/seed.py). Signs in as the bench L1 agent `bench-l1-01` and the manager
`bench-manager` (force_login; with --gunicorn, sessions made in the session store), then times
each page --runs times after --warmup untimed runs and prints p50 / p95 / max in milliseconds,
the number of SQL queries (in process), and the rows shown:

  queue first        the L1 queue, open tickets, newest first (the tab counts cached, as they are
                     for every viewer but the first in each 15 s; the rows as the last change's
                     first viewer or live poll rendered them, shared)
  queue first, rows rendered  the same, its rows rendered by this page (the shared rows blocks
                     dropped before each run: the first viewer after a change)
  queue deep         the same, 'older than' a ticket in the middle of the table, filtered by
                     priority (keyset: no OFFSET, no COUNT)
  queue deep htmx    that page as htmx swaps it (the results block only)
  queue prio sort    sorted by priority then newest, a deep cursor
  queue reference    search by reference (INC-…)
  mine               the agent's own open tickets
  manager all        a manager's view of every open ticket of every tier
  counts cold        the tab counts with the cache cleared before each run (capped counts)
  ticket page        a ticket with the longest history among a sample

--live N (issue 21, the live queue): the same pages are timed while N agents poll
/console/live/?queue=l1 every tickets.live.POLL_SECONDS (staggered), each with the ETag of its
last answer (as static/js/live.js does), and a writer files a ticket every --live-write-seconds
through the service in this process (so the L1 agents' polls render again). The agents are
sessions of the bench L1 and L2 agents. Prints the polls per second, the share answered 304 and
wall milliseconds per poll of each kind, with its queries (counted here, with Django's test
Client). Needs HELPDESK_CACHE_URL=redis://… with --gunicorn (the server and this process share
the live-queue versions); the production cache either way.

  --gunicorn (what production does; use it for the issue's figure): gunicorn with
      gunicorn.conf.py (gthread, 2 processes × 4 threads; GUNICORN_* variables override it) on
      DATABASE_URL, a free loopback port, DEBUG off (bench/servers.py, as bench/api.py starts it)
      serves both the timed pages (requests sessions of the agent and the manager, over HTTP)
      and the polls; the N agents run in their own OS process (bench/live_agents.py: one
      thread, requests.Session and keep-alive connection each), open the console page first
      and take its tag. After the pages are open, --live-quiet seconds with polls only, then
      the pages. Also prints gunicorn's CPU (master and workers, user + sys) in each of the two
      windows, per second and per connected agent, and the agents' process' own CPU. "queries"
      are counted once per page in this process. gunicorn and the agents' process are stopped
      on exit, error or Ctrl-C.
  without it (the first measurement, kept to compare): in this process, the pages and the
      polls served by --live-threads threads share one interpreter lock, so the pages' figures
      include waiting for the polls' Python time; also prints the CPU of each poll (thread
      time).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

# Before Django's setup: what gunicorn gets is this process' environment as it was started.
from servers import (
    ROOT,
    agent_session,
    server_cpu_seconds,
    start_servers,
    stop_gunicorn,
    stop_servers,
)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.models import Ticket  # noqa: E402

# A fetch: (url, headers) -> (status, body), in process or over HTTP.
Fetch = Callable[[str, dict[str, str]], tuple[int, bytes]]
POLL_URL = "/console/live/?queue=l1"


def p95(values: list[float]) -> float:
    """The 95th percentile of sorted values (as the first figures of this script)."""
    return values[max(0, round(0.95 * len(values)) - 1)]


def in_process(client: Client) -> Fetch:
    def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = client.get(url, headers=headers)
        return response.status_code, response.content

    return fetch


def over_http(session, base: str) -> Fetch:
    def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = session.get(base + url, headers=headers, timeout=60)
        return response.status_code, response.content

    return fetch


def forget_rows() -> None:
    """Drop every shared rows block (tickets.views.console_queue.shared_results), so the next
    page renders its own rows, as the first viewer after a change does; nothing else in the
    cache is touched (the live versions and the counts stay)."""
    from django.core.cache import cache as shared

    if not hasattr(shared, "_cache"):  # local memory: this process only
        shared.clear()
        return
    client = shared._cache.get_client()
    keys = list(client.scan_iter(match="*console:rows:*", count=1000))
    if keys:
        client.delete(*keys)


def timed(
    fetch: Fetch, url: str, *, runs: int, warmup: int, before=None, headers: dict[str, str]
) -> dict:
    for _ in range(warmup):
        if before:
            before()
        assert fetch(url, headers)[0] == 200, url
    times = []
    body = b""
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        status, body = fetch(url, headers)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, (url, status)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": p95(times),
        "max": times[-1],
        "rows": body.count(b"data-ticket="),
    }


def queries_of(client: Client, url: str, *, before=None, headers: dict[str, str]) -> int:
    """The SQL queries of one request, in this process."""
    with CaptureQueriesContext(connection) as queries:
        if before:
            before()
        client.get(url, headers=headers)
    return len(queries.captured_queries)


def poll_queries(client: Client) -> dict[str, int]:
    """The queries of a poll that renders (200) and of one that does not (304), in process."""
    with CaptureQueriesContext(connection) as rendered:
        etag = client.get(POLL_URL).get("ETag", "")
    with CaptureQueriesContext(connection) as unchanged:
        client.get(POLL_URL, headers={"If-None-Match": etag})
    return {"200": len(rendered.captured_queries), "304": len(unchanged.captured_queries)}


def live_agents() -> list[User]:
    """The agents whose consoles poll: the bench L1 and L2 agents (bench/seed.py)."""
    users = list(
        User.objects.filter(username__regex=r"^bench-l[12]-", is_active=True).order_by("username")
    )
    if not users:
        sys.exit("No bench-l1-*/bench-l2-* agents: seed first (bench/seed.py).")
    return users


class Writer:
    """Files a ticket every `every` seconds through the service, in this process: the same
    database writes and live-queue stamps (cache) as a create served by the web."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.stop = threading.Event()
        self.filed = 0
        self.thread = threading.Thread(target=self._write, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _write(self) -> None:
        from tickets import services

        requester = User.objects.filter(username__startswith="bench-req-").first()
        try:
            while not self.stop.wait(self.every):
                services.ticket_create(
                    requester=requester, title="Live bench: printer jam", description="…"
                )
                self.filed += 1
        finally:
            connection.close()

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


class LivePhase:
    """N agents polling the live queue on a few threads of this process, and a writer."""

    def __init__(self, *, agents: int, threads: int, write_seconds: float) -> None:
        import heapq

        from tickets import live

        self.interval = live.POLL_SECONDS
        self.heapq = heapq
        self.lock = threading.Lock()
        self.ready = threading.Condition(self.lock)
        self.stop = threading.Event()
        self.samples: dict[str, list[tuple[float, float]]] = {"304": [], "200": []}
        users = live_agents()
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
        self.writer = Writer(write_seconds)
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
                headers = {"If-None-Match": agent["etag"]} if agent["etag"] else {}
                wall, cpu = time.perf_counter(), time.thread_time()
                response = agent["client"].get(POLL_URL, headers=headers)
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                agent["etag"] = response.get("ETag", agent["etag"])
                with self.ready:
                    self.samples[str(response.status_code)].append((wall * 1000, cpu * 1000))
                    self.heapq.heappush(self.due, (time.monotonic() + self.interval, index))
                    self.ready.notify()
        finally:
            connection.close()

    def finish(self) -> None:
        self.stop.set()
        with self.ready:
            self.ready.notify_all()
        for thread in self.threads:
            thread.join(timeout=30)
        self.writer.finish()

    def report(self) -> None:
        elapsed = time.monotonic() - self.started
        polls = sum(len(v) for v in self.samples.values())
        print(
            f"\nlive: {len(self.clients)} agents every {self.interval} s on {len(self.threads)} "
            f"threads: {polls} polls in {elapsed:.0f} s = {polls / elapsed:.1f} polls/s, "
            f"{len(self.samples['304']) / max(polls, 1):.0%} answered 304"
        )
        print(f"{'poll':10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8}")
        queries = poll_queries(self.clients[0]["client"])
        for kind, rows in self.samples.items():
            if not rows:
                continue
            walls = sorted(w for w, _c in rows)
            cpu = statistics.mean(c for _w, c in rows)
            print(
                f"{kind:10} {len(rows):6d} {statistics.median(walls):8.1f} {p95(walls):8.1f} "
                f"{cpu:8.2f} {queries[kind]:8d}"
            )
        per_agent = statistics.mean(c for rows in self.samples.values() for _w, c in rows)
        print(
            f"per connected agent: {1 / self.interval:.2f} polls/s, "
            f"{per_agent / self.interval:.2f} ms of CPU per second"
        )


class ServedLivePhase:
    """N agents polling gunicorn from their own OS process (bench/live_agents.py), a writer in
    this process, and gunicorn's CPU measured over a window of polls only and over the pages."""

    def __init__(
        self, *, port: int, server: subprocess.Popen, agents: int, write_seconds: float
    ) -> None:
        from tickets import live

        self.interval = live.POLL_SECONDS
        self.port = port
        self.server = server
        users = live_agents()
        self.agents = agents
        self.sessions = [agent_session(users[i % len(users)].username) for i in range(agents)]
        self.query_client = Client()
        self.query_client.force_login(users[0])
        self.writer = Writer(write_seconds)
        self.process: subprocess.Popen | None = None
        self.windows: dict[str, tuple[float, float, float]] = {}  # name: (start, end, cpu s)
        self._window: tuple[float, float] | None = None
        self.result: dict = {}

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "live_agents.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C reaches this process only; it stops the agents
        )
        assert self.process.stdin is not None
        config = {
            "port": self.port,
            "sessions": self.sessions,
            "seconds": self.interval,
            "page": "/console/?queue=l1",
            "poll": POLL_URL,
        }
        self.process.stdin.write(json.dumps(config) + "\n")
        self.process.stdin.flush()
        self.writer.start()
        # Every agent has opened its console (staggered over one interval) and polled once.
        time.sleep(2 * self.interval + 0.5)
        if self.process.poll() is not None:
            raise RuntimeError(f"the agents' process exited ({self.process.returncode})")

    def begin(self) -> None:
        self._window = (time.time(), server_cpu_seconds(self.server.pid))

    def end(self, name: str) -> None:
        assert self._window is not None
        start, cpu = self._window
        self.windows[name] = (start, time.time(), server_cpu_seconds(self.server.pid) - cpu)

    def finish(self) -> None:
        """Stop the agents (end of their stdin) and the writer; gather the agents' samples;
        sign the agents out (their sessions deleted)."""
        self.writer.finish()
        process, self.process = self.process, None
        try:
            if process is not None:
                out, _ = process.communicate(input="", timeout=3 * self.interval + 65)
                self.result = json.loads(out) if out.strip() else {}
        except subprocess.TimeoutExpired:
            self.result = {}
        finally:
            if process is not None:
                stop_gunicorn(process)  # SIGTERM, then its session killed, if still running
            Session.objects.filter(session_key__in=self.sessions).delete()

    def report(self) -> None:
        samples = self.result.get("samples", [])
        if not samples:
            print("\nlive: the agents' process reported nothing")
            return
        errors = self.result.get("errors", {})
        print(
            f"\nlive (gunicorn; the agents in their own process): {self.agents} agents every "
            f"{self.interval} s, a ticket filed every {self.writer.every:g} s "
            f"({self.writer.filed} filed); errors {sum(errors.values())}"
            + (f" {errors}" if errors else "")
        )
        queries = poll_queries(self.query_client)
        print(f"{'request':10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for kind in ("open", "304", "200"):
            walls = sorted(ms for k, _t, ms in samples if k == kind)
            if walls:
                print(
                    f"{kind:10} {len(walls):6d} {statistics.median(walls):8.1f} "
                    f"{p95(walls):8.1f} {queries.get(kind, ''):>8}"
                )
        print(
            "(wall ms as the agents saw them, whole phase; open: the console page each agent "
            "loaded first)"
        )
        polls = [(kind, t) for kind, t, _ms in samples if kind != "open"]
        print(
            f"{'window':14} {'seconds':>7} {'polls/s':>8} {'304':>5} {'gunicorn CPU ms/s':>18} "
            f"{'per agent':>10} {'per poll':>9}"
        )
        for name, (start, end, cpu) in self.windows.items():
            seconds = end - start
            kinds = [kind for kind, t in polls if start <= t < end]
            share = sum(1 for kind in kinds if kind == "304") / max(len(kinds), 1)
            per_second = 1000 * cpu / seconds
            # Per agent and per poll: only where the polls are all gunicorn serves.
            alone = name == "polls only"
            per_agent = f"{per_second / self.agents:10.2f}" if alone else f"{'—':>10}"
            per_poll = f"{1000 * cpu / len(kinds):9.2f}" if alone and kinds else f"{'—':>9}"
            print(
                f"{name:14} {seconds:7.0f} {len(kinds) / seconds:8.1f} {share:5.0%} "
                f"{per_second:18.1f} {per_agent} {per_poll}"
            )
        print(
            f"(gunicorn: master and workers, user + sys; the agents' own process: "
            f"{self.result.get('cpu', 0):.1f} s of CPU)"
        )


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # the finally blocks stop what was started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--live", type=int, default=0, help="simulated agents polling")
    parser.add_argument(
        "--gunicorn",
        action="store_true",
        help="time the pages over HTTP from gunicorn (gunicorn.conf.py), which serves the polls "
        "too; the agents in their own process",
    )
    parser.add_argument(
        "--live-threads", type=int, default=8, help="without --gunicorn: threads serving polls"
    )
    parser.add_argument("--live-write-seconds", type=float, default=2.0)
    parser.add_argument(
        "--live-quiet",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="with --gunicorn: seconds of polls only, gunicorn's CPU measured, before the pages",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if args.gunicorn and not settings.HELPDESK_CACHE_URL:
        sys.exit(
            "--gunicorn needs HELPDESK_CACHE_URL=redis://…: gunicorn's processes and this one "
            "(the writer, 'counts cold') must share the cache."
        )

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
    htmx = {"HX-Request": "true", "HX-Target": "results"}
    pages = [
        ("queue first", agent_client, "/console/?queue=l1", {}, None),
        ("queue first, rows rendered", agent_client, "/console/?queue=l1", {}, forget_rows),
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
    if args.live:
        # The counts stay cached between runs as they do for a busy desk ("counts cold" would
        # clear the live versions too).
        pages = [page for page in pages if page[0] != "counts cold"]
    fetchers: dict[Client, Fetch] = {c: in_process(c) for c in (agent_client, manager_client)}

    phase: LivePhase | ServedLivePhase | None = None
    server: list[subprocess.Popen] = []
    page_sessions: list[str] = []
    log_dir = Path(tempfile.mkdtemp(prefix="helpdesk-ui-"))
    try:
        if args.gunicorn:
            import requests

            server_args = argparse.Namespace(
                web=0, workers=0, worker_class="", threads=0, broker=settings.CELERY_BROKER_URL
            )
            port = start_servers(server_args, log_dir, server)
            for client, user in ((agent_client, agent), (manager_client, manager)):
                session = requests.Session()
                key = agent_session(user.username)
                page_sessions.append(key)
                session.cookies.set("sessionid", key)
                fetchers[client] = over_http(session, f"http://127.0.0.1:{port}")
            print(
                f"pages: over HTTP from gunicorn (gunicorn.conf.py) on 127.0.0.1:{port}, "
                "queries counted once per page in this process"
            )
            if args.live:
                phase = ServedLivePhase(
                    port=port,
                    server=server[0],
                    agents=args.live,
                    write_seconds=args.live_write_seconds,
                )
                phase.start()
                phase.begin()
                time.sleep(args.live_quiet)
                phase.end("polls only")
                phase.begin()
        elif args.live:
            phase = LivePhase(
                agents=args.live, threads=args.live_threads, write_seconds=args.live_write_seconds
            )
            phase.start()
        print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'rows':>5}")
        for name, client, url, headers, before in pages:
            r = timed(
                fetchers[client],
                url,
                runs=args.runs,
                warmup=args.warmup,
                before=before,
                headers=headers,
            )
            queries = queries_of(client, url, before=before, headers=headers)
            print(
                f"{name:28} {r['p50']:8.1f} {r['p95']:8.1f} {r['max']:8.1f} {queries:8d} "
                f"{r['rows']:5d}",
                flush=True,
            )
        if isinstance(phase, ServedLivePhase):
            phase.end("pages + polls")
    finally:
        if phase is not None:
            phase.finish()
        if server:
            stop_servers(server, log_dir)
        Session.objects.filter(session_key__in=page_sessions).delete()
    if phase is not None:
        phase.report()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
