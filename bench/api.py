#!/usr/bin/env python
"""API benchmark: gunicorn on DATABASE_URL (PostgreSQL), N concurrent keep-alive clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/api.py

Phases (each bounded by --duration seconds after --warmup seconds that are not counted):
  create     POST /api/tickets/ as a requester
  list       GET  /api/tickets/?page_size=25 as an L1 agent
  deep       GET  on the cursor URL reached by following `next` --deep-pages pages
  deep-filt  the same with --filter (default status=in_diagnosis&tier=1)
  form       POST /new/ — the public web form, anonymous (a guest ticket by a known address),
             with its CSRF token, answered by a 302 to the tracking page
  ceiling    the rows one create writes (ticket, event, two clocks, outbox) in raw psycopg, one
             transaction per ticket from --clients connections (bench/pg_raw_create.py)
  insert     single-row INSERT + COMMIT into a scratch ticket-shaped table (the former ceiling)

Each phase also prints the CPU ms per answered request spent in its timed window by the web server
(gunicorn's tree), by PostgreSQL (the bench database's backends and the server's background
processes, from /proc) and by the clients (this process): where a request's cost goes, and a
steadier figure than the rate on a machine that other work shares.

gunicorn runs with the shipped gunicorn.conf.py (its worker class and count) unless --workers,
--worker-class or --threads say otherwise.

Seed first (bench/seed.py): the personas bench-l1-01 and bench-req-00001 are used (created if
missing); their passwords are set through the ORM and tokens fetched via POST /api/auth/token/.
Only 127.0.0.1 is contacted. gunicorn is always terminated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

# gunicorn, nginx and page sessions, as bench/ui.py and bench/load.py start and make them.
from servers import (
    ROOT,
    SERVER_ENV,
    Client,
    agent_session,
    postgres_cpu_by_pid,
    server_cpu_seconds,
    start_servers,
    stop_servers,
)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ["DATABASE_POOL"] = "0"  # this process only sets passwords and counts rows

BENCH_PASSWORD = "bench-pass-123"
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
DEFAULT_CACHE = "redis://127.0.0.1:6379/12"


# --- small helpers ----------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


class PhaseResult:
    def __init__(self, name: str) -> None:
        self.name = name
        self.latencies: list[float] = []
        self.ok = 0
        self.errors: Counter[str] = Counter()
        self.duration = 0.0
        self.extra = ""
        self.cpu: dict[str, float] = {}  # CPU seconds in the timed window, by whose

    @property
    def n_errors(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.ok / self.duration if self.duration else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def line(self) -> str:
        errors = f"errors {self.n_errors}" + (f" {dict(self.errors)}" if self.errors else "")
        return (
            f"{self.name:<22} {self.rate:8.1f} req/s  p50 {self.p(50):7.1f} ms  "
            f"p95 {self.p(95):7.1f} ms  n={self.ok:<6} {errors}{self.extra}"
        ) + self.cpu_line()

    def cpu_line(self) -> str:
        """CPU ms per successful request, by whose: where a request's cost goes."""
        if not self.ok or not self.cpu:
            return ""
        parts = "  ".join(f"{k} {v * 1000 / self.ok:.2f}" for k, v in self.cpu.items())
        return f"\n{'':<22} cpu ms per request: {parts}"


SERVER_PIDS: list[int] = []  # the web server processes (masters): their CPU is the server's
DATABASE_NAME: list[str] = [""]  # the bench database: only its backends are counted


def cpu_now() -> dict[str, object]:
    """CPU so far of the web server (its tree), of PostgreSQL (by process), and of this
    process (the clients)."""
    return {
        "server": sum(server_cpu_seconds(pid) for pid in SERVER_PIDS),
        "postgres": postgres_cpu_by_pid(DATABASE_NAME[0]),
        "clients": time.process_time(),
    }


def cpu_spent(start: dict[str, object], end: dict[str, object]) -> dict[str, float]:
    """CPU seconds between two cpu_now() readings, PostgreSQL's summed over the processes alive
    at both."""
    before, after = start["postgres"], end["postgres"]
    assert isinstance(before, dict) and isinstance(after, dict)
    return {
        "server": float(end["server"]) - float(start["server"]),  # type: ignore[arg-type]
        "postgres": sum(after[pid] - before[pid] for pid in after.keys() & before.keys()),
        "clients": float(end["clients"]) - float(start["clients"]),  # type: ignore[arg-type]
    }


def run_phase(
    name: str, *, clients: int, duration: float, warmup: float, make_client, do_request
) -> PhaseResult:
    """`clients` threads, each calling do_request(client, thread_no, i) -> (ok, label)."""
    result = PhaseResult(name)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    times: dict[str, float] = {}

    def worker(no: int) -> None:
        client = make_client()
        lat: list[float] = []
        ok = 0
        errors: Counter[str] = Counter()
        barrier.wait()
        start, end = times["start"], times["end"]
        i = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                success, label = do_request(client, no, i)
            except Exception as exc:
                success, label = False, type(exc).__name__
            t1 = time.perf_counter()
            i += 1
            if t0 < start:
                continue  # warm-up
            if success:
                ok += 1
                lat.append(t1 - t0)
            else:
                errors[label] += 1
        client.close()
        with lock:
            result.latencies.extend(lat)
            result.ok += ok
            result.errors.update(errors)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    times["start"] = now + warmup
    times["end"] = now + warmup + duration
    barrier.wait()
    time.sleep(max(0.0, times["start"] - time.perf_counter()))
    cpu_start = cpu_now()
    time.sleep(max(0.0, times["end"] - time.perf_counter()))
    cpu_end = cpu_now()
    result.cpu = cpu_spent(cpu_start, cpu_end)
    for thread in threads:
        thread.join()
    result.duration = duration
    result.latencies.sort()
    result.extra = f"  [load {os.getloadavg()[0]:.1f}]"
    return result


def http_ok(status: int) -> tuple[bool, str]:
    return (200 <= status < 300), str(status)


# --- setup ------------------------------------------------------------------------------------


def prepare_users() -> tuple[str, str]:
    """Give the L1 agent and the requester a known password; return their usernames."""
    import django

    django.setup()
    from accounts.models import Role, User
    from escalation.models import SupportGroup

    agent, _ = User.objects.get_or_create(
        username="bench-l1-01",
        defaults={
            "role": Role.AGENT,
            "email": "bench-l1-01@helpdesk.example.com",
            "display_name": "L1 agent 01",
        },
    )
    group, _ = SupportGroup.objects.get_or_create(
        name="Bench L1 service desk", defaults={"tier": 1}
    )
    group.members.add(agent)
    requester, _ = User.objects.get_or_create(
        username="bench-req-00001",
        defaults={
            "role": Role.REQUESTER,
            "email": "bench-req-00001@example.com",
            "display_name": "Requester 00001",
        },
    )
    for user in (agent, requester):
        user.set_password(BENCH_PASSWORD)
        user.save(update_fields=["password"])
    return agent.username, requester.username


def page_client(port: int, session: str) -> Client:
    client = Client(port)
    client.headers["Accept"] = "text/html"
    client.cookies["sessionid"] = session  # kept when a response sets another cookie
    client.headers["Cookie"] = f"sessionid={session}"
    return client


def ticket_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM tickets_ticket")
        return cursor.fetchone()[0]


def get_token(port: int, username: str) -> str:
    status, body = Client(port).request(
        "POST", "/api/auth/token/", {"username": username, "password": BENCH_PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"token for {username}: HTTP {status} {body[:200]!r}")
    return json.loads(body)["token"]


def follow_next(port: int, token: str, path: str, pages: int) -> tuple[str, int, float]:
    """Follow `next` links `pages` times (or until the last page); return the deepest URL."""
    client = Client(port, token)
    url, depth = path, 0
    t0 = time.perf_counter()
    while depth < pages:
        status, body = client.request("GET", url)
        if status != 200:
            raise RuntimeError(f"GET {url}: HTTP {status} {body[:200]!r}")
        nxt = json.loads(body).get("next")
        if not nxt:
            break
        parts = urlsplit(nxt)
        url = f"{parts.path}?{parts.query}"
        depth += 1
    client.close()
    return url, depth, time.perf_counter() - t0


# --- the raw insert ceiling -------------------------------------------------------------------

RAW_TABLE_SQL = """
CREATE TABLE bench_raw_ticket (
    id bigserial PRIMARY KEY,
    kind varchar(20) NOT NULL,
    title varchar(200) NOT NULL,
    description text NOT NULL,
    status varchar(20) NOT NULL,
    priority smallint NOT NULL,
    tier smallint NOT NULL,
    requester_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    tracking_token varchar(40) NOT NULL UNIQUE
)"""
RAW_INSERT_SQL = """
INSERT INTO bench_raw_ticket
    (kind, title, description, status, priority, tier, requester_id, created_at, updated_at,
     tracking_token)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""


def raw_insert_ceiling(dsn: str, *, clients: int, duration: float, warmup: float) -> PhaseResult:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_ticket")
        conn.execute(RAW_TABLE_SQL)
    try:

        def make_client():
            return psycopg.connect(dsn, autocommit=False)

        def do_request(conn, no, i):
            now = datetime.now(UTC)
            conn.execute(
                RAW_INSERT_SQL,
                (
                    "incident",
                    f"Raw ticket {no}-{i}",
                    "Something is broken and I need help.",
                    "new",
                    4,
                    1,
                    1,
                    now,
                    now,
                    secrets.token_urlsafe(24),
                ),
            )
            conn.commit()
            return True, ""

        return run_phase(
            "raw INSERT+COMMIT",
            clients=clients,
            duration=duration,
            warmup=warmup,
            make_client=make_client,
            do_request=do_request,
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_raw_ticket")


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=15, help="seconds timed per phase (15)")
    parser.add_argument(
        "--warmup", type=float, default=2, help="untimed seconds before each phase (2)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (the config's)")
    parser.add_argument("--worker-class", default="", help="gunicorn worker class (the config's)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn --threads (the config's)")
    parser.add_argument(
        "--page-size", type=int, default=25, help="page size for the list phases (25)"
    )
    parser.add_argument(
        "--deep-pages", type=int, default=200, help="pages followed before timing (200)"
    )
    parser.add_argument(
        "--filter", default="status=in_diagnosis&tier=1", help="filtered deep page query"
    )
    parser.add_argument(
        "--broker",
        default=DEFAULT_BROKER,
        help=f"CELERY_BROKER_URL for gunicorn unless set in the env ({DEFAULT_BROKER})",
    )
    parser.add_argument(
        "--cache",
        default=DEFAULT_CACHE,
        help=f"HELPDESK_CACHE_URL for gunicorn unless set in the env ({DEFAULT_CACHE})",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for the 1-min load average to drop below 0.5",
    )
    parser.add_argument(
        "--phases",
        default="create,form,list,deep,deep-filt,ceiling",
        help="comma-separated subset of create,form,healthz,floor,list,console,deep,deep-filt,ceiling,insert",
    )
    parser.add_argument(
        "--web",
        type=int,
        default=0,
        metavar="N",
        help="N gunicorn processes behind nginx (deploy/nginx.conf) instead of one gunicorn",
    )
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    args.server_env = {
        # One requester and one address file every ticket: no per-user or per-IP limit here.
        "HELPDESK_THROTTLE_USER": "1000000/min",
        "HELPDESK_RATE_PUBLIC_FORM": "1000000/60",
        # As in production (docker-compose): throttles and the configuration version in Redis.
        "HELPDESK_CACHE_URL": args.cache,
    }

    dsn = SERVER_ENV.get("DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (seeded with bench/seed.py).")
    if "127.0.0.1" not in dsn and "localhost" not in dsn:
        sys.exit("This benchmark only talks to 127.0.0.1.")

    if args.wait_idle:
        deadline = time.monotonic() + args.wait_idle
        while os.getloadavg()[0] >= 0.5 and time.monotonic() < deadline:
            time.sleep(5)
    print(f"load average before: {load()}")
    agent_name, requester_name = prepare_users()
    before = ticket_count()
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}  cpus: {os.cpu_count()}  tickets in db: {before}"
    )
    print(f"clients: {args.clients}  duration: {args.duration}s/phase (+{args.warmup}s warm-up)")

    results: dict[str, PhaseResult] = {}
    log_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        port = start_servers(args, log_dir, processes)
        SERVER_PIDS[:] = [process.pid for process in processes]
        DATABASE_NAME[0] = urlsplit(dsn).path.lstrip("/")
        agent_token = get_token(port, agent_name)
        requester_token = get_token(port, requester_name)
        list_path = f"/api/tickets/?page_size={args.page_size}"

        if "create" in phases:
            urgencies = ["high", "medium", "low"]

            def create(client, no, i):
                status, _ = client.request(
                    "POST",
                    "/api/tickets/",
                    {
                        "title": f"Bench ticket {no}-{i}",
                        "description": "Created by bench/api.py: the printer is on fire.",
                        "urgency": random.choice(urgencies),
                    },
                )
                return http_ok(status)

            results["create"] = run_phase(
                "create (POST)",
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                make_client=lambda: Client(port, requester_token),
                do_request=create,
            )
            print(results["create"].line(), flush=True)

        if "form" in phases:
            token_pattern = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

            def form_client() -> Client:
                client = Client(port)
                client.headers["Accept"] = "text/html"
                status, page = client.request("GET", "/new/")
                match = token_pattern.search(page)
                if status != 200 or match is None:
                    raise RuntimeError(f"GET /new/ answered {status} without a CSRF token")
                client.csrf = match.group(1).decode()  # type: ignore[attr-defined]
                return client

            def post_form(client, no, i):
                status, _ = client.request(
                    "POST",
                    "/new/",
                    {
                        "csrfmiddlewaretoken": client.csrf,
                        # A few known addresses: guest tickets, as most repeat visitors file.
                        "email": f"bench-form-{no}@example.com",
                        "name": f"Form visitor {no}",
                        "title": f"Bench form ticket {no}-{i}",
                        "description": "Filed by bench/api.py through the public form.",
                        "urgency": random.choice(["high", "medium", "low"]),
                    },
                    form=True,
                )
                return status == 302, str(status)

            results["form"] = run_phase(
                "form (POST /new/)",
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                make_client=form_client,
                do_request=post_form,
            )
            print(results["form"].line(), flush=True)

        # The floor under any create: what a request costs that writes nothing. `healthz` is
        # Django's handler and the middleware alone (a plain view); `floor` adds DRF: the token,
        # the throttle and a small JSON answer (GET /api/me/, as the create phase's requester).
        for name, label, path, token in (
            ("healthz", "floor: GET /healthz", "/healthz", ""),
            ("floor", "floor: GET /api/me/", "/api/me/", requester_token),
        ):
            if name in phases:
                results[name] = run_phase(
                    label,
                    clients=args.clients,
                    duration=args.duration,
                    warmup=args.warmup,
                    make_client=lambda token=token: Client(port, token or None),
                    do_request=lambda client, no, i, path=path: http_ok(
                        client.request("GET", path)[0]
                    ),
                )
                print(results[name].line(), flush=True)

        def timed_get(name: str, path: str, extra: str = "") -> PhaseResult:
            result = run_phase(
                name,
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                make_client=lambda: Client(port, agent_token),
                do_request=lambda client, no, i: http_ok(client.request("GET", path)[0]),
            )
            result.extra = extra + result.extra
            print(result.line(), flush=True)
            return result

        if "list" in phases:
            results["list"] = timed_get("list first page", list_path)
        if "console" in phases:
            session = agent_session(agent_name)
            results["console"] = run_phase(
                "console page (GET /console/)",
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                make_client=lambda: page_client(port, session),
                do_request=lambda client, no, i: http_ok(client.request("GET", "/console/")[0]),
            )
            print(results["console"].line(), flush=True)
        if "deep" in phases:
            deep_url, depth, took = follow_next(port, agent_token, list_path, args.deep_pages)
            results["deep"] = timed_get(
                "list deep page", deep_url, f"  (depth {depth} pages, crawl {took:.1f}s)"
            )
        if "deep-filt" in phases:
            deep_url, depth, took = follow_next(
                port, agent_token, f"{list_path}&{args.filter}", args.deep_pages
            )
            results["deep-filt"] = timed_get(
                "filtered deep page",
                deep_url,
                f"  ({args.filter}, depth {depth} pages, crawl {took:.1f}s)",
            )
    finally:
        stop_servers(processes, log_dir)

    if "ceiling" in phases:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from pg_raw_create import RawCreator

        creator = RawCreator(dsn.replace("postgres://", "postgresql://", 1), requester_name)
        results["ceiling"] = run_phase(
            "raw create (ticket, event, 2 clocks, outbox; 1 tx)",
            clients=args.clients,
            duration=args.duration,
            warmup=args.warmup,
            make_client=creator.connect,
            do_request=lambda conn, no, i: (bool(creator.create(conn, f"{no}-{i}")), ""),
        )
        print(results["ceiling"].line().replace("req/s", "creates/s"), flush=True)

    if "insert" in phases:
        results["insert"] = raw_insert_ceiling(
            dsn.replace("postgres://", "postgresql://", 1),
            clients=args.clients,
            duration=args.duration,
            warmup=args.warmup,
        )
        print(results["insert"].line().replace("req/s", "rows/s"), flush=True)

    if SERVER_ENV.get("CELERY_BROKER_URL") is None and args.broker == DEFAULT_BROKER:
        _drop_queued_notifications(args.broker)

    after = ticket_count()
    print(f"load average after: {load()} (other processes on the machine skew the figures)")
    print()
    print("=" * 72)
    print(f"tickets in db: {before} before, {after} after")
    for key, label in [
        ("create", "create     "),
        ("form", "form create"),
        ("list", "list page 1"),
        ("deep", "deep page  "),
        ("deep-filt", "deep filtered"),
    ]:
        r = results.get(key)
        if r:
            print(
                f"{label:<14} {r.rate:8.1f} req/s   p50 {r.p(50):7.1f} ms   p95 {r.p(95):7.1f} ms"
                f"   errors {r.n_errors}{r.extra}"
            )
    insert = results.get("insert")
    if insert:
        print(
            f"raw INSERT     {insert.rate:8.1f} rows/s  p50 {insert.p(50):7.1f} ms   "
            f"p95 {insert.p(95):7.1f} ms   errors {insert.n_errors}"
        )
    ceiling = results.get("ceiling")
    if ceiling:
        print(
            f"raw ceiling    {ceiling.rate:8.1f} creates/s  p50 {ceiling.p(50):7.1f} ms   "
            f"p95 {ceiling.p(95):7.1f} ms   errors {ceiling.n_errors}"
        )
        for key in ("create", "form", "healthz", "floor"):
            if key in results and ceiling.rate:
                print(f"{key} / ceiling: {100 * results[key].rate / ceiling.rate:.1f} %")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _drop_queued_notifications(url: str) -> None:
    """No worker consumes the bench broker: drop the delivery tasks the create phase queued."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        queued = client.llen("celery")
        client.delete("celery")
        print(f"dropped {queued} queued notification tasks from {url}")
    except Exception as exc:
        print(f"could not clean the bench broker {url}: {exc}")


if __name__ == "__main__":
    main()
