#!/usr/bin/env python
"""The ceiling of ticket creation: the rows one API create writes, in raw psycopg.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/pg_raw_create.py

Each "create" is one transaction from one of --clients connections (autocommit off): the ticket
(INSERT … RETURNING id), its `created` event, its two SLA clocks (first response and
resolution, 24×7, the provisional priority's targets, one multi-row INSERT) and the requester's
`ticket_created` outbox row, then COMMIT — what `tickets.services.ticket_create` writes for a
requester's ticket routed to the L1 queue it starts in (read from a query log of an API create;
routing then writes nothing). No Python framework, no HTTP: the most the database gives the
application on this machine, measured on the same tables, indexes and data.

Rows go into the real tables, as the create phase of bench/api.py does (titles "Raw ticket …").
Prints creates/s, p50 and p95 in ms. bench/api.py runs the same as its `ceiling` phase.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

TICKET_SQL = """
INSERT INTO tickets_ticket (kind, title, description, source, contact_name, contact_email,
    contact_phone, affected, impact, urgency, priority, priority_is_provisional,
    priority_override_reason, tier, status, closure_code, resolution_summary, tracking_token,
    created_at, updated_at, escalation_count, reopen_count, organisation_id, requester_id)
VALUES ('incident', %s, %s, 'api', %s, %s, '', '', 'low', %s, %s, true, '', 1, 'new', '', '',
    %s, %s, %s, 0, 0, %s, %s)
RETURNING id"""
EVENT_SQL = """
INSERT INTO tickets_ticketevent (created_at, kind, transition, from_status, to_status, changes,
    reason, reason_is_internal, actor_id, ticket_id)
VALUES (%s, 'created', '', '', 'new', '{}', '', false, %s, %s)"""
CLOCKS_SQL = """
INSERT INTO sla_slaclock (metric, cycle, priority, started_at, target, paused, at_risk_at,
    warning_at, due_at, state, alert_level, next_alert_at, created_at, updated_at, ticket_id,
    policy_id)
VALUES ('first_response', 1, %s, %s, %s, interval '0', %s, %s, %s, 'running', 0, %s, %s, %s, %s,
        %s),
       ('resolution', 1, %s, %s, %s, interval '0', %s, %s, %s, 'running', 0, %s, %s, %s, %s, %s)"""
OUTBOX_SQL = """
INSERT INTO notifications_notification (kind, context, dedupe_key, status, attempts, last_error,
    created_at, recipient_id, ticket_id)
VALUES ('ticket_created', '{}', %s, 'pending', 0, '', %s, %s, %s)
ON CONFLICT (dedupe_key) DO NOTHING"""

# Provisional priority (impact low) by urgency, and the default policy's targets.
PRIORITY = {"high": 3, "medium": 4, "low": 5}
FIRST_RESPONSE = {3: timedelta(hours=2), 4: timedelta(hours=3), 5: timedelta(hours=3)}
RESOLUTION = {3: timedelta(hours=24), 4: timedelta(hours=48), 5: timedelta(hours=72)}
URGENCIES = list(PRIORITY)


class RawCreator:
    """What one create needs that is the same for every create: the requester and the policy."""

    def __init__(self, dsn: str, requester: str = "bench-req-00001") -> None:
        import psycopg

        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT id, organisation_id, username, email FROM accounts_user "
                "WHERE username = %s",
                (requester,),
            ).fetchone()
            if row is None:
                raise SystemExit(f"no user {requester}: seed first (bench/seed.py)")
            self.requester_id, self.organisation_id, self.name, self.email = row
            policy = conn.execute(
                "SELECT id FROM sla_slapolicy WHERE is_active ORDER BY position, id LIMIT 1"
            ).fetchone()
            self.policy_id = policy[0] if policy else None
        self.dsn = dsn

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=False)

    def create(self, conn: Any, label: str) -> int:
        """One ticket, its event, clocks and outbox row, in one transaction."""
        now = datetime.now(UTC)
        urgency = URGENCIES[hash(label) % 3]
        priority = PRIORITY[urgency]
        with conn.cursor() as cursor:
            cursor.execute(
                TICKET_SQL,
                (
                    f"Raw ticket {label}",
                    "Created by bench/pg_raw_create.py: the printer is on fire.",
                    self.name,
                    self.email,
                    urgency,
                    priority,
                    secrets.token_urlsafe(24),
                    now,
                    now,
                    self.organisation_id,
                    self.requester_id,
                ),
            )
            ticket_id = cursor.fetchone()[0]
            cursor.execute(EVENT_SQL, (now, self.requester_id, ticket_id))
            clocks: list[Any] = []
            for target in (FIRST_RESPONSE[priority], RESOLUTION[priority]):
                clocks += [
                    priority,
                    now,
                    target,
                    now + target * 0.75,
                    now + target * 0.9,
                    now + target,
                    now + target * 0.75,
                    now,
                    now,
                    ticket_id,
                    self.policy_id,
                ]
            cursor.execute(CLOCKS_SQL, clocks)
            cursor.execute(
                OUTBOX_SQL,
                (
                    f"ticket_created:ticket:{ticket_id}:{self.requester_id}",
                    now,
                    self.requester_id,
                    ticket_id,
                ),
            )
        conn.commit()
        return ticket_id


def run(creator: RawCreator, *, clients: int, duration: float, warmup: float) -> dict[str, float]:
    """Creates/s and latency percentiles from `clients` connections."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start_at = time.monotonic() + warmup
    stop_at = start_at + duration

    def client(no: int) -> None:
        conn = creator.connect()
        i = 0
        try:
            while (now := time.monotonic()) < stop_at:
                i += 1
                try:
                    creator.create(conn, f"{no}-{i}")
                except Exception:  # counted; the run goes on
                    conn.rollback()
                    with lock:
                        errors[0] += 1
                    continue
                if now >= start_at:
                    with lock:
                        latencies.append(time.monotonic() - now)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    n = len(latencies)
    return {
        "rate": n / duration,
        "p50": latencies[n // 2] * 1000 if n else float("nan"),
        "p95": latencies[max(0, int(n * 0.95) - 1)] * 1000 if n else float("nan"),
        "errors": errors[0],
        "count": n,
    }


def dsn_from_env() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    return url.replace("postgres://", "postgresql://", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args()
    result = run(
        RawCreator(dsn_from_env()), clients=args.clients, duration=args.duration, warmup=args.warmup
    )
    print(
        f"raw create (ticket+event+2 clocks+outbox, 1 tx)  {result['rate']:8.1f} creates/s  "
        f"p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms  errors {result['errors']}  "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
