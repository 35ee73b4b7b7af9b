#!/usr/bin/env python
"""Load benchmark: a realistic mix against the whole production stack on one machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_load_bench python bench/load.py

Starts gunicorn (gunicorn.conf.py), a Celery worker and Celery beat as subprocesses with the same env
(PostgreSQL in DATABASE_URL, Redis --redis for the broker and the shared cache that throttles
and lockouts use), then runs --clients threads for --duration seconds, each looping over
weighted actions:

  requesters  create  POST /api/tickets/
              reply   POST /api/tickets/{id}/comments/        (on a ticket it created)
  agents (L1) queue   GET  /api/tickets/?tier=1&status=...
              open    GET  /api/tickets/{id}/  and  history  GET /api/tickets/{id}/history/
              triage  POST /api/tickets/{id}/triage/          (a `new` ticket from the queue)
              take    POST /api/tickets/{id}/take/            (a `prioritized` one)
              resolve POST /api/tickets/{id}/resolve/         (one this client took)
  managers    dashboard  GET  /reports/sla/                   (the SLA dashboard page, signed in)
              dash-api   GET  /api/reports/dashboard/        (its figures as JSON, by token)
                         both on the default period (last 7 days), as a manager opens them

Agents pick from the first page of the queue, so two of them sometimes go for the same ticket:
the loser gets a 409, which is counted apart from errors. Tokens are created directly with
accounts.services.api_token_create (the token endpoint is throttled at 10/min and guarded by the
login lockout); the managers' page session is created directly in the session store too. Afterwards every write the API acknowledged is looked up in the database: the
ticket ids, comment ids and the transition events (ticket, transition, actor) the clients were
told about; "lost writes: 0" or the list. Only 127.0.0.1 is contacted; every process started
here is stopped in a `finally`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import percentile
from servers import PYTHON_BIN, SERVER_ENV, Client, free_port, spawn, start_gunicorn

DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
N_REQUESTERS = 20
N_AGENTS = 6
N_MANAGERS = 2

# action -> weight (per iteration of a client loop)
WEIGHTS = {
    "create": 14,
    "reply": 10,
    "queue": 20,
    "open": 14,  # open = detail + history (two timed requests)
    "triage": 12,
    "take": 12,
    "resolve": 10,
    "dashboard": 2,
    "dash-api": 2,
}
QUEUE_STATUSES = ["new", "prioritized", "in_diagnosis", "new,prioritized"]
LEVELS = ["high", "medium", "low"]
RESOLUTION_CODES = ["fixed", "workaround", "information", "no_fault_found"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- setup (ORM, before any server starts) ----------------------------------------------------


def prepare() -> dict:
    """Personas, their tokens and the leaf categories; returns what the clients need."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from escalation.models import SupportGroup
    from tickets.models import Category

    group, _ = SupportGroup.objects.get_or_create(
        name="Bench L1 service desk", defaults={"tier": 1}
    )
    agents = []
    for n in range(1, N_AGENTS + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench-l1-{n:02d}",
            defaults={
                "role": Role.AGENT,
                "email": f"bench-l1-{n:02d}@helpdesk.example.com",
                "display_name": f"L1 agent {n:02d}",
            },
        )
        group.members.add(user)
        agents.append(user)
    requesters = []
    for n in range(1, N_REQUESTERS + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench-req-{n:05d}",
            defaults={
                "role": Role.REQUESTER,
                "email": f"bench-req-{n:05d}@example.com",
                "display_name": f"Requester {n:05d}",
            },
        )
        requesters.append(user)
    managers = []
    for n in range(1, N_MANAGERS + 1):
        user, _ = User.objects.get_or_create(
            username=f"bench-mgr-{n:02d}",
            defaults={
                "role": Role.MANAGER,
                "email": f"bench-mgr-{n:02d}@helpdesk.example.com",
                "display_name": f"Manager {n:02d}",
            },
        )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        managers.append((user.pk, user.username, api_token_create(user=user), session.session_key))
    parents = set(
        Category.objects.exclude(parent=None).values_list("parent_id", flat=True).distinct()
    )
    leaves = [c.pk for c in Category.objects.filter(is_active=True) if c.pk not in parents]
    if not leaves:
        sys.exit("No active leaf category: seed first (bench/seed.py).")
    return {
        "agents": [(u.pk, u.username, api_token_create(user=u)) for u in agents],
        "requesters": [(u.pk, u.username, api_token_create(user=u)) for u in requesters],
        "managers": managers,
        "categories": leaves,
    }


def db_counts() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in ("tickets_ticket", "tickets_comment", "tickets_ticketevent"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
        cursor.execute("SELECT status, COUNT(*) FROM notifications_notification GROUP BY 1")
        for status, n in cursor.fetchall():
            out[f"notification {status}"] = n
    return out


# --- the stack --------------------------------------------------------------------------------


def stack_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    env = dict(SERVER_ENV)
    env.pop("DJANGO_DEBUG", None)
    env["DJANGO_ALLOWED_HOSTS"] = "*"
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    env["CELERY_BROKER_URL"] = args.redis
    env["HELPDESK_CACHE_URL"] = args.redis
    env["HELPDESK_VAR_DIR"] = str(var_dir)  # mail files, beat schedule: a scratch dir
    env.setdefault("HELPDESK_LOG_LEVEL", "WARNING")
    if args.throttle_user:
        env["HELPDESK_THROTTLE_USER"] = args.throttle_user
    return env


def start_celery(kind: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    celery = shutil.which("celery", path=str(PYTHON_BIN)) or "celery"
    cmd = [celery, "-A", "helpdesk", kind, "-l", "warning", "--logfile", str(log)]
    if kind == "worker":
        cmd += ["--concurrency", "2", "--without-gossip", "--without-mingle"]
    else:
        cmd += ["-s", str(log.parent / "celerybeat-schedule")]
    return spawn(cmd, env)


def stop_process(process: subprocess.Popen, name: str) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only its children
            process.wait()
    print(f"{name} stopped (exit {process.returncode})")


# --- the clients ------------------------------------------------------------------------------


class Ledger:
    """What the API acknowledged, and the timings; shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.ok: Counter[str] = Counter()
        self.conflicts: Counter[str] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()
        self.error_bodies: list[str] = []
        self.tickets: dict[int, int] = {}  # ticket id -> requester id
        self.comments: dict[int, tuple[int, int]] = {}  # comment id -> (ticket id, author id)
        self.events: list[tuple[int, str, int]] = []  # (ticket id, transition, actor id)
        self.denied: list[tuple[str, int, int, bytes]] = []  # 403 on triage/take
        self.last_done = 0.0

    def record(
        self,
        action: str,
        seconds: float,
        status: int | str,
        body: bytes,
        ticket: int | None = None,
        actor: int | None = None,
    ) -> None:
        with self.lock:
            self.last_done = max(self.last_done, time.perf_counter())
            if isinstance(status, int) and 200 <= status < 300:
                self.ok[action] += 1
                self.lat[action].append(seconds)
            elif status == 409 and action in ("triage", "take"):
                self.conflicts[action] += 1
                self.lat[action].append(seconds)
            elif status == 403 and action in ("triage", "take") and ticket is not None:
                # Maybe a stale queue: another agent's triage made it P1 and routed it to L3;
                # confirmed (or turned into an error) against the database afterwards.
                self.denied.append((action, ticket, actor or 0, body[:200]))
                self.lat[action].append(seconds)
            else:
                self.errors[(action, str(status))] += 1
                if len(self.error_bodies) < 20:
                    self.error_bodies.append(f"{action} {status}: {body[:300]!r}")


class Persona:
    def __init__(self, persona: tuple[int, str, str], port: int) -> None:
        self.pk, self.username, token = persona
        self.client = Client(port, token)


class Manager(Persona):
    """A token for the API and a signed-in session for the page (a second connection)."""

    def __init__(self, persona: tuple[int, str, str, str], port: int) -> None:
        super().__init__(persona[:3], port)
        self.browser = Client(port)
        self.browser.headers["Accept"] = "text/html"
        self.browser.headers["Cookie"] = f"sessionid={persona[3]}"


def client_loop(
    no: int, *, port: int, ctx: dict, ledger: Ledger, start: float, end: float, seed: int
) -> None:
    rng = random.Random(seed + no)
    req_pool = [Persona(r, port) for r in ctx["requesters"]]
    requester = req_pool[no % len(req_pool)]
    requester2 = req_pool[(no + len(ctx["agents"])) % len(req_pool)]
    agent = Persona(ctx["agents"][no % len(ctx["agents"])], port)
    manager = Manager(ctx["managers"][no % len(ctx["managers"])], port)
    my_tickets: dict[int, list[int]] = defaultdict(list)  # requester pk -> ticket ids
    queue: dict[str, list[int]] = {"new": [], "prioritized": [], "any": []}
    taken: list[int] = []
    actions, weights = zip(*WEIGHTS.items(), strict=True)

    def call(
        action: str, persona: Persona, method: str, path: str, body=None, ticket=None, page=False
    ):
        t0 = time.perf_counter()
        status: int | str
        client = persona.browser if page else persona.client  # type: ignore[attr-defined]
        try:
            status, data = client.request(method, path, body)
        except Exception as exc:
            status, data = type(exc).__name__, b""
        t1 = time.perf_counter()
        if t0 >= start:  # requests started in the warm-up are not timed
            ledger.record(action, t1 - t0, status, data, ticket, persona.pk)
        return status, data

    while time.perf_counter() < end:
        action = rng.choices(actions, weights)[0]
        if action == "create":
            who = rng.choice((requester, requester2))
            status, data = call(
                "create",
                who,
                "POST",
                "/api/tickets/",
                {
                    "title": f"Load {no}-{rng.randrange(10**6)}: VPN drops every few minutes",
                    "description": "Since this morning the VPN disconnects. bench/load.py",
                    "urgency": rng.choice(LEVELS),
                },
            )
            if status == 201:
                tid = json.loads(data)["id"]
                my_tickets[who.pk].append(tid)
                with ledger.lock:
                    ledger.tickets[tid] = who.pk
        elif action == "reply":
            who = rng.choice((requester, requester2))
            if not my_tickets[who.pk]:
                continue
            tid = rng.choice(my_tickets[who.pk][-20:])
            status, data = call(
                "reply",
                who,
                "POST",
                f"/api/tickets/{tid}/comments/",
                {"body": "Still happening, here is more detail. bench/load.py"},
            )
            if status == 201:
                cid = json.loads(data)["id"]
                with ledger.lock:
                    ledger.comments[cid] = (tid, who.pk)
        elif action == "queue":
            status_filter = rng.choice(QUEUE_STATUSES)
            status, data = call(
                "queue", agent, "GET", f"/api/tickets/?tier=1&status={status_filter}&page_size=25"
            )
            if status == 200:
                rows = json.loads(data)["results"]
                ids = [r["id"] for r in rows]
                queue["any"] = ids or queue["any"]
                for key in ("new", "prioritized"):
                    got = [r["id"] for r in rows if r["status"] == key]
                    if key in status_filter.split(","):
                        queue[key] = got
        elif action == "open":
            if not queue["any"]:
                continue
            tid = rng.choice(queue["any"])
            call("open", agent, "GET", f"/api/tickets/{tid}/")
            call("history", agent, "GET", f"/api/tickets/{tid}/history/")
        elif action == "triage":
            if not queue["new"]:
                continue
            tid = queue["new"].pop(rng.randrange(min(5, len(queue["new"]))))
            status, _ = call(
                "triage",
                agent,
                "POST",
                f"/api/tickets/{tid}/triage/",
                ticket=tid,
                body={
                    "kind": "incident",
                    "category": rng.choice(ctx["categories"]),
                    "impact": rng.choice(LEVELS),
                    "urgency": rng.choice(LEVELS),
                },
            )
            if status == 200:
                with ledger.lock:
                    for name in ("identify", "categorize", "prioritize"):
                        ledger.events.append((tid, name, agent.pk))
        elif action == "take":
            if not queue["prioritized"]:
                continue
            tid = queue["prioritized"].pop(rng.randrange(min(5, len(queue["prioritized"]))))
            status, data = call("take", agent, "POST", f"/api/tickets/{tid}/take/", {}, ticket=tid)
            if status == 200:
                taken.append(tid)
                with ledger.lock:
                    ledger.events.append((tid, "take", agent.pk))
        elif action == "resolve":
            if not taken:
                continue
            tid = taken.pop(0)
            status, _ = call(
                "resolve",
                agent,
                "POST",
                f"/api/tickets/{tid}/resolve/",
                {
                    "summary": "Reset the VPN profile. bench/load.py",
                    "code": rng.choice(RESOLUTION_CODES),
                },
            )
            if status == 200:
                with ledger.lock:
                    ledger.events.append((tid, "resolve", agent.pk))
        elif action == "dashboard":
            call("dashboard", manager, "GET", "/reports/sla/", page=True)
        elif action == "dash-api":
            call("dash-api", manager, "GET", "/api/reports/dashboard/")
    for persona in (*req_pool, agent, manager):
        persona.client.close()
    manager.browser.close()


# --- the check --------------------------------------------------------------------------------


def lost_writes(ledger: Ledger) -> list[str]:
    from django.db import connection

    lost: list[str] = []
    with connection.cursor() as cursor:
        ids = list(ledger.tickets)
        cursor.execute(
            "SELECT t.id, t.requester_id, EXISTS (SELECT 1 FROM tickets_ticketevent e"
            " WHERE e.ticket_id = t.id AND e.kind = 'created')"
            " FROM tickets_ticket t WHERE t.id = ANY(%s)",
            [ids],
        )
        found = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        for tid, requester in ledger.tickets.items():
            if tid not in found:
                lost.append(f"ticket {tid} (created by user {requester}) missing")
            elif found[tid][0] != requester:
                lost.append(f"ticket {tid}: requester {found[tid][0]}, expected {requester}")
            elif not found[tid][1]:
                lost.append(f"ticket {tid}: no 'created' event")
        cursor.execute(
            "SELECT id, ticket_id, author_id FROM tickets_comment WHERE id = ANY(%s)",
            [list(ledger.comments)],
        )
        found_c = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        for cid, expected in ledger.comments.items():
            if found_c.get(cid) != expected:
                lost.append(f"comment {cid} on ticket {expected[0]}: found {found_c.get(cid)}")
        tids = list({e[0] for e in ledger.events})
        cursor.execute(
            "SELECT ticket_id, transition, actor_id, COUNT(*) FROM tickets_ticketevent"
            " WHERE ticket_id = ANY(%s) GROUP BY 1, 2, 3",
            [tids],
        )
        have = {(r[0], r[1], r[2]): r[3] for r in cursor.fetchall()}
        told = Counter(ledger.events)
        for key, n in told.items():
            if have.get(key, 0) < n:
                lost.append(
                    f"event {key[1]} on ticket {key[0]} by user {key[2]}: "
                    f"{have.get(key, 0)} in db, {n} acknowledged"
                )
    return lost


def classify_denied(ledger: Ledger) -> tuple[int, list[str]]:
    """A 403 on triage/take is a lost race when an agent's triage (another client's: with more
    clients than agents two threads share a persona) routed the ticket out of tier 1 (a P1
    goes to L3); anything else is an error."""
    from django.db import connection

    stale, errors = 0, []
    with connection.cursor() as cursor:
        for action, tid, _actor, body in ledger.denied:
            cursor.execute(
                "SELECT t.tier, EXISTS (SELECT 1 FROM tickets_ticketevent e WHERE"
                " e.ticket_id = t.id AND e.transition = 'prioritize' AND e.actor_id IS NOT NULL)"
                " FROM tickets_ticket t WHERE t.id = %s",
                [tid],
            )
            row = cursor.fetchone()
            if row and row[0] != 1 and row[1]:
                stale += 1
            else:
                errors.append(f"{action} 403 on ticket {tid} (tier/raced: {row}): {body!r}")
    return stale, errors


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=120, help="timed seconds (120)")
    parser.add_argument("--warmup", type=float, default=5, help="untimed seconds first (5)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (the config's)")
    parser.add_argument("--worker-class", default="", help="gunicorn worker class (the config's)")
    parser.add_argument("--threads", type=int, default=0, help="gunicorn --threads (the config's)")
    parser.add_argument(
        "--redis", default=DEFAULT_REDIS, help=f"broker and cache ({DEFAULT_REDIS}); flushed"
    )
    parser.add_argument(
        "--throttle-user",
        default="",
        help="HELPDESK_THROTTLE_USER for the server (default: the setting's 1200/min)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the clients (1)")
    args = parser.parse_args()

    dsn = SERVER_ENV.get("DATABASE_URL", "")
    if not dsn.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (seeded with bench/seed.py).")
    if "127.0.0.1" not in dsn and "localhost" not in dsn:
        sys.exit("This benchmark only talks to 127.0.0.1.")
    if "127.0.0.1" not in args.redis and "localhost" not in args.redis:
        sys.exit("This benchmark only talks to 127.0.0.1.")

    import redis

    redis.Redis.from_url(args.redis).flushdb()  # this bench's own DB: stale tasks, throttles
    load_before = load()
    ctx = prepare()
    before = db_counts()
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}  cpus: {os.cpu_count()}  "
        f"load average before: {load_before}"
    )
    print(f"db before: {before}")
    print(
        f"clients: {args.clients}  duration: {args.duration}s (+{args.warmup}s warm-up)  "
        f"gunicorn: gunicorn.conf.py, {args.workers or 'its'} x {args.worker_class or 'its'}"
        + (f" --threads {args.threads}" if args.threads else "")
    )
    print(
        f"personas: {N_REQUESTERS} requesters, {N_AGENTS} L1 agents, {N_MANAGERS} managers (tokens via "
        "api_token_create); user throttle: "
        + (args.throttle_user or "1200/min (default, HELPDESK_THROTTLE_USER unset)")
    )
    print(
        f"managers: {N_MANAGERS} (the SLA dashboard page by session, its JSON API by token; "
        "default period, 7 days)"
    )

    var_dir = Path(tempfile.mkdtemp(prefix="helpdesk-load-"))
    env = stack_env(args, var_dir)
    port = free_port()
    procs: list[tuple[str, subprocess.Popen]] = []
    ledger = Ledger()
    loads: list[str] = []
    wall = args.duration
    try:
        # start_gunicorn reads its env from SERVER_ENV: give it the stack's.
        SERVER_ENV.clear()
        SERVER_ENV.update(env)
        gargs = argparse.Namespace(
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            broker=args.redis,
        )
        procs.append(("gunicorn", start_gunicorn(gargs, port, var_dir / "gunicorn.log")))
        procs.append(("celery worker", start_celery("worker", env, var_dir / "worker.log")))
        procs.append(("celery beat", start_celery("beat", env, var_dir / "beat.log")))
        time.sleep(2)
        for name, p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited ({p.returncode}); logs in {var_dir}")

        now = time.perf_counter()
        start, end = now + args.warmup, now + args.warmup + args.duration
        threads = [
            threading.Thread(
                target=client_loop,
                args=(n,),
                kwargs={
                    "port": port,
                    "ctx": ctx,
                    "ledger": ledger,
                    "start": start,
                    "end": end,
                    "seed": args.seed,
                },
                daemon=True,
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        next_sample = time.perf_counter() + 5
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            if time.perf_counter() >= next_sample:
                next_sample += 5
                loads.append(f"{os.getloadavg()[0]:.1f}")
        wall = max(args.duration, ledger.last_done - start)
        print(f"load average at the end: {load()}  (1-min samples: {' '.join(loads)})")
        time.sleep(3)  # let the worker drain the hand-offs of the last requests
    finally:
        for name, p in reversed(procs):
            stop_process(p, name)
        for log in sorted(var_dir.glob("*.log")):
            text = log.read_text(errors="replace")
            if "Traceback" in text or "ERROR" in text:
                print(f"--- {log} has errors; last lines:\n" + "\n".join(text.splitlines()[-25:]))
        print(f"logs: {var_dir}")

    after = db_counts()
    mails = len(list((var_dir / "sent-mail").glob("*"))) if (var_dir / "sent-mail").exists() else 0
    print()
    print("=" * 78)
    total_ok = sum(ledger.ok.values())
    total_conf = sum(ledger.conflicts.values())
    stale, denied_errors = classify_denied(ledger)
    total_err = sum(ledger.errors.values()) + len(denied_errors)
    print(
        f"overall {(total_ok + total_conf + len(ledger.denied)) / wall:7.1f} req/s over {wall:.0f}s   "
        f"2xx {total_ok}   409 conflicts {total_conf}   raced 403 {stale}   errors {total_err}"
    )
    print(
        f"{'action':<9} {'req/s':>7} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  409  err"
    )
    for action in [*WEIGHTS, "history"]:
        lat = sorted(ledger.lat.get(action, []))
        n = len(lat)
        err = sum(v for (a, _), v in ledger.errors.items() if a == action)
        print(
            f"{action:<9} {n / wall:7.1f} {n:6d} {percentile(lat, 50) * 1000:8.1f} "
            f"{percentile(lat, 95) * 1000:8.1f} {percentile(lat, 99) * 1000:8.1f} "
            f"{ledger.conflicts.get(action, 0):4d} {err:4d}"
        )
    if ledger.denied:
        print(
            f"403 on triage/take: {len(ledger.denied)}, of which {stale} lost a race (another "
            "client's triage made the ticket P1 and routed it to L3 first: the API answers 403, "
            f"not 409, since the tier check comes before the state check); "
            f"{len(denied_errors)} unexplained (counted as errors)"
        )
        for line in denied_errors[:10]:
            print("  " + line)
    print(f"errors (non-2xx other than expected 409 / raced 403): {total_err}")
    if ledger.errors:
        print("errors by action and status:", dict(ledger.errors))
        print("first error bodies:")
        for line in ledger.error_bodies:
            print("  " + line)
    print(f"db after: {after}")
    print(f"mail files written by the worker: {mails}")
    lost = lost_writes(ledger)
    print(
        f"acknowledged: {len(ledger.tickets)} tickets, {len(ledger.comments)} replies, "
        f"{len(ledger.events)} transition events"
    )
    if lost:
        print(f"lost writes: {len(lost)}")
        for line in lost[:50]:
            print("  " + line)
    else:
        print("lost writes: 0")


if __name__ == "__main__":
    main()
