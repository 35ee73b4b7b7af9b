#!/usr/bin/env python
"""Bulk actions benchmark: one `POST /api/tickets/bulk/` on 100 tickets, per action.

    .venv/bin/python bench/bulk.py                  # 100 tickets per call (the maximum)
    .venv/bin/python bench/bulk.py --tickets 50 --background 20000

Uses its own database, helpdesk_bulk_bench (created and migrated when missing; override with
BULK_BENCH_DATABASE_URL), and Redis db 6 as the Celery broker (BULK_BENCH_REDIS_URL; the
notification tasks queue there, no worker runs). --background tickets (default 10000) are
inserted once with one INSERT … SELECT generate_series, so the batch is not alone in the table.
The batch itself is created through the services (so each has its SLA clocks and history),
then each action goes through the API's full path (DRF, serializer, services, one transaction
per ticket) in process, with the APIClient:

  take       100 prioritized tickets taken by an L1 agent
  priority   the same 100: priority set to P2 with a reason (SLA clocks recomputed)
  escalate   the same 100, with a reason (the L2 agents are notified)
  assign     100 other prioritized tickets assigned to another L1 agent
  resolve    those 100 resolved with a summary and a code (the requester is notified)

Prints wall time and queries per call; the target (issue 21) is < 2 s for 100 tickets.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get(
    "BULK_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bulk_bench"
)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DATABASE_POOL"] = "0"
os.environ["CELERY_BROKER_URL"] = os.environ.get("BULK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HELPDESK_LOG_LEVEL", "WARNING")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sla_sweep import ensure_database  # noqa: E402  (also sets up Django on the bench DB)

ensure_database()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from escalation.models import SupportGroup, Tier  # noqa: E402
from tickets import services  # noqa: E402
from tickets.models import Category, ClosureCode, Level, Ticket  # noqa: E402


def person(username: str, role: str = Role.REQUESTER, tier: int | None = None) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.invalid", "role": role}
    )
    if tier is not None:
        group, _ = SupportGroup.objects.get_or_create(
            name=f"Bulk bench L{tier}", defaults={"tier": tier}
        )
        group.members.add(user)
    return user


def background(count: int, requester: User) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        have = cursor.fetchone()[0]
        if have >= count:
            return
        cursor.execute(
            """
            INSERT INTO tickets_ticket (kind, title, description, source, requester_id,
                contact_name, contact_email, contact_phone, affected, impact, urgency, priority,
                priority_is_provisional, priority_override_reason, tier, status, closure_code,
                resolution_summary, tracking_token, created_at, updated_at, escalation_count,
                reopen_count)
            SELECT 'incident', 'Background ' || g, 'x', 'web', %(requester)s, '', '', '', '',
                'medium', 'medium', 3, false, '', 1 + g %% 3, 'in_diagnosis', '', '',
                'bulk-bench-' || g || '-' || left(md5(random()::text), 16), now(), now(), 0, 0
            FROM generate_series(%(first)s, %(last)s) AS g
            """,
            {"requester": requester.pk, "first": have + 1, "last": count},
        )


def prioritized(count: int, requester: User, agent: User, category: Category) -> list[int]:
    ids = []
    for n in range(count):
        ticket = services.ticket_create(
            requester=requester, title=f"Bulk bench {n}", description="x", urgency=Level.MEDIUM
        )
        services.ticket_triage(
            ticket=ticket,
            actor=agent,
            kind="incident",
            category=category,
            impact=Level.MEDIUM,
            urgency=Level.MEDIUM,
        )
        ids.append(ticket.pk)
    return ids


def run(
    client: APIClient, action: str, ids: list[int], args: dict[str, object]
) -> tuple[float, int, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.post(
            "/api/tickets/bulk/", {"action": action, "ids": ids, "args": args}, format="json"
        )
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content
    return elapsed, len(captured.captured_queries), response.json()["done"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100, help="tickets per call (max 100)")
    parser.add_argument("--background", type=int, default=10_000)
    args = parser.parse_args()

    setup_test_environment()  # the test client's host is allowed
    call_command("migrate", verbosity=0)
    requester = person("bulk-bench-requester")
    first = person("bulk-bench-l1-a", Role.AGENT, Tier.L1)
    second = person("bulk-bench-l1-b", Role.AGENT, Tier.L1)
    person("bulk-bench-l2", Role.AGENT, Tier.L2)
    category, _ = Category.objects.get_or_create(name="Bulk bench")
    background(args.background, requester)

    started = time.perf_counter()
    batch_a = prioritized(args.tickets, requester, first, category)
    batch_b = prioritized(args.tickets, requester, first, category)
    setup = time.perf_counter() - started

    client = APIClient()
    client.force_authenticate(first)
    rows: list[tuple[str, list[int], dict[str, object]]] = [
        ("take", batch_a, {}),
        ("priority", batch_a, {"priority": 2, "reason": "The whole floor"}),
        ("escalate", batch_a, {"reason": "Needs the network team"}),
        ("assign", batch_b, {"assignee": second.pk}),
    ]
    results = [(action, *run(client, action, ids, extra)) for action, ids, extra in rows]
    client.force_authenticate(second)
    results.append(
        (
            "resolve",
            *run(
                client,
                "resolve",
                batch_b,
                {"summary": "Restarted the gateway", "code": ClosureCode.FIXED},
            ),
        )
    )

    print(f"bulk actions, {args.tickets} tickets per call, {Ticket.objects.count()} in the table")
    print(f"python {platform.python_version()}, {connection.vendor}, setup {setup:.1f} s")
    print(f"{'action':<10} {'seconds':>8} {'queries':>8} {'q/ticket':>9} {'done':>5}")
    for action, seconds, queries, done in results:
        print(f"{action:<10} {seconds:>8.3f} {queries:>8} {queries / args.tickets:>9.1f} {done:>5}")
    worst = max(seconds for _action, seconds, _queries, _done in results)
    print(f"slowest: {worst:.3f} s (target < 2 s): {'ok' if worst < 2 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
