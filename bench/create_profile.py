#!/usr/bin/env python
"""Ticket create per request, in process: CPU ms, wall ms and statements per create.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_x python bench/create_profile.py -n 300
    DATABASE_URL=... python bench/create_profile.py -n 300 --profile /tmp/create.prof

Seed the database first (bench/seed.py 20000 --seed 1: routing rules, SLA policies, agents as in
the bench). Each create goes through Django's full WSGI handler (helpdesk.wsgi's application:
every middleware, the URL resolver, DRF, the form view), called in this process with a WSGI
environ — no HTTP server, no client, so what is measured is the Python of one request plus its
round trips to PostgreSQL and Redis:

  api    POST /api/tickets/ as the requester bench-req-00001 with a real `Token` header
  form   POST /new/ anonymous (a guest ticket by a known address), with its CSRF cookie and token
  me     GET /api/me/ with the same token: any API request's floor
  service  tickets.services.ticket_create called directly (no HTTP layer at all): the bound

Per phase: CPU ms per create (time.process_time: this process only, so PostgreSQL's work is
not in it), wall ms per create, SQL statements per create (an execute wrapper on the
connection), after --warmup creates that are not counted. --profile runs the timed creates
under cProfile on CPU time (time.process_time: waits on PostgreSQL and Redis not counted; times
include the profiler's overhead) and prints the Python function calls per create
(deterministic: the figure to compare between builds on a busy machine) and the top 30 functions
by cumulative and by own time (stats saved in FILE.api and FILE.form). --repeat runs the whole thing several times and prints the median.

As bench/api.py's gunicorn, throttles are lifted and the cache (throttles, the configuration
version) is Redis when HELPDESK_CACHE_URL is set (--cache, default db 12); the Celery broker
(--broker) gets the delivery tasks the creates queue, and they are dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=300, help="timed creates per phase (300)")
    parser.add_argument("--warmup", type=int, default=30, help="creates not counted (30)")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the median is printed")
    parser.add_argument(
        "--phases",
        default="api,form",
        help="api,form (both); me: GET /api/me/, the floor; service: the create service alone",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the timed creates")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile (30)")
    parser.add_argument("--cache", default=DEFAULT_REDIS, help="HELPDESK_CACHE_URL if unset")
    parser.add_argument("--broker", default=DEFAULT_REDIS, help="CELERY_BROKER_URL if unset")
    return parser.parse_args()


ARGS = parse_args()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HELPDESK_CACHE_URL", ARGS.cache)
os.environ.setdefault("CELERY_BROKER_URL", ARGS.broker)
os.environ.setdefault("HELPDESK_LOG_LEVEL", "WARNING")
os.environ.setdefault("HELPDESK_THROTTLE_USER", "1000000/min")
os.environ.setdefault("HELPDESK_RATE_PUBLIC_FORM", "1000000/60")
os.environ["DJANGO_ALLOWED_HOSTS"] = "*"
os.environ.pop("DJANGO_DEBUG", None)
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    sys.exit("Set DATABASE_URL to a PostgreSQL database seeded with bench/seed.py.")

# Celery's Django fixup puts the working directory first on sys.path: run from another checkout,
# its apps would be imported instead of this tree's (gunicorn runs from ROOT too).
os.chdir(ROOT)

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402

APP = WSGIHandler()
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def call(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request through the WSGI application; (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = {}
        for name, value in response_headers:
            answer["headers"].setdefault(name.lower(), []).append(value)

    chunks = APP(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return answer["status"], answer["headers"], content


def requester_token() -> str:
    from accounts.models import Role, User
    from accounts.services import api_token_create

    user, _ = User.objects.get_or_create(
        username="bench-req-00001",
        defaults={
            "role": Role.REQUESTER,
            "email": "bench-req-00001@example.com",
            "display_name": "Requester 00001",
        },
    )
    return api_token_create(user=user, name="bench/create_profile.py")


def api_phase(token: str):
    import json

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    urgencies = ["high", "medium", "low"]

    def one(i: int) -> None:
        body = json.dumps(
            {
                "title": f"Profile ticket {i}",
                "description": "Created by bench/create_profile.py: the printer is on fire.",
                "urgency": urgencies[i % 3],
            }
        ).encode()
        status, _, content = call("POST", "/api/tickets/", body, headers)
        if status != 201:
            raise RuntimeError(f"API create answered {status}: {content[:300]!r}")

    return one


def me_phase(token: str):
    """The floor: an API request that authenticates, is throttled and answers a small JSON,
    writing nothing (GET /api/me/): what any API request costs before its own work."""
    headers = {"Authorization": f"Token {token}"}

    def one(i: int) -> None:
        status, _, content = call("GET", "/api/me/", headers=headers)
        if status != 200:
            raise RuntimeError(f"GET /api/me/ answered {status}: {content[:300]!r}")

    return one


def service_phase():
    """The bound from below: tickets.services.ticket_create called directly for the same
    requester, as the API view calls it once the request is authenticated and validated; no
    WSGI, middleware, DRF, token lookup or response. What a create would cost if the HTTP
    layer cost nothing. Django's request signals are sent around it, as the handler sends
    them (the configuration version is read once per request)."""
    from django.core.signals import request_finished, request_started

    from accounts.models import User
    from tickets.services import ticket_create

    requester = User.objects.get(username="bench-req-00001")
    urgencies = ["high", "medium", "low"]

    def one(i: int) -> None:
        request_started.send(sender=None)
        try:
            ticket_create(
                requester=requester,
                title=f"Profile ticket {i}",
                description="Created by bench/create_profile.py: the printer is on fire.",
                urgency=urgencies[i % 3],
            )
        finally:
            request_finished.send(sender=None)

    return one


def form_phase():
    status, headers, page = call("GET", "/new/", headers={"Accept": "text/html"})
    match = CSRF_FIELD.search(page)
    cookies = [c.split(";", 1)[0].strip() for c in headers.get("set-cookie", [])]
    if status != 200 or match is None or not any(c.startswith("csrftoken=") for c in cookies):
        raise RuntimeError(f"GET /new/ answered {status} without a CSRF token and cookie")
    csrf = match.group(1).decode()
    request_headers = {
        "Accept": "text/html",
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(cookies),
        "Referer": "http://127.0.0.1:8000/new/",
        "Origin": "http://127.0.0.1:8000",
    }
    urgencies = ["high", "medium", "low"]

    def one(i: int) -> None:
        body = urlencode(
            {
                "csrfmiddlewaretoken": csrf,
                "email": f"bench-form-{i % 8}@example.com",
                "name": f"Form visitor {i % 8}",
                "title": f"Profile form ticket {i}",
                "description": "Filed by bench/create_profile.py through the public form.",
                "urgency": urgencies[i % 3],
            }
        ).encode()
        status, _, content = call("POST", "/new/", body, request_headers)
        if status != 302:
            raise RuntimeError(f"form create answered {status}: {content[:300]!r}")

    return one


def measure(one, n: int, warmup: int, profiler=None) -> tuple[float, float, float]:
    """(CPU ms, wall ms, statements) per create over n timed creates."""
    for i in range(warmup):
        one(i)
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(warmup, warmup + n):
            one(i)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if profiler:
            profiler.disable()
    return 1000 * cpu / n, 1000 * wall / n, statements / n


def drop_queued_tasks() -> None:
    try:
        import redis

        client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"], socket_timeout=2)
        client.delete("celery")
    except Exception as exc:  # the broker may not be Redis
        print(f"could not clean the broker: {exc}")


def main() -> None:
    import cProfile
    import pstats

    phases = [p for p in ARGS.phases.split(",") if p]
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  "
        f"n={ARGS.n} warmup={ARGS.warmup} repeat={ARGS.repeat}"
    )
    makers = {}
    token = requester_token() if {"api", "me", "service"} & set(phases) else ""
    if "api" in phases:
        makers["api"] = lambda: api_phase(token)
    if "me" in phases:
        makers["me"] = lambda: me_phase(token)
    if "form" in phases:
        makers["form"] = form_phase
    if "service" in phases:
        makers["service"] = service_phase
    results: dict[str, list[tuple[float, float, float]]] = {p: [] for p in makers}
    # CPU time (process_time), not wall: what the functions cost, not what they waited for.
    profilers = {p: cProfile.Profile(time.process_time) for p in makers} if ARGS.profile else {}
    try:
        for run in range(ARGS.repeat):
            for phase, make in makers.items():
                one = make()
                figures = measure(one, ARGS.n, ARGS.warmup, profilers.get(phase))
                results[phase].append(figures)
                print(
                    f"run {run + 1} {phase:<5} cpu {figures[0]:6.2f} ms  wall {figures[1]:6.2f} ms"
                    f"  statements {figures[2]:.1f}",
                    flush=True,
                )
    finally:
        drop_queued_tasks()
    for phase, rows in results.items():
        cpu = statistics.median(r[0] for r in rows)
        wall = statistics.median(r[1] for r in rows)
        print(
            f"{phase:<5} median of {len(rows)}: cpu {cpu:.2f} ms/create  wall {wall:.2f} ms/create"
            f"  statements {rows[-1][2]:.1f}/create"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for phase, profiler in profilers.items():
        stats = pstats.Stats(profiler, stream=sys.stdout)
        calls = stats.total_calls / (ARGS.n * ARGS.repeat)  # type: ignore[attr-defined]
        # Deterministic, unlike the times on a shared machine: compare these between builds.
        print(f"{phase:<5} python function calls per create (cProfile): {calls:,.0f}")
        path = f"{ARGS.profile}.{phase}"
        stats.dump_stats(path)
        for key in ("cumulative", "tottime"):
            if ARGS.top:
                print(f"\n--- {phase}: top {ARGS.top} by {key} (stats in {path}) ---")
                stats.sort_stats(key).print_stats(ARGS.top)


if __name__ == "__main__":
    main()
