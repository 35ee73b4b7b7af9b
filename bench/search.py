#!/usr/bin/env python
"""Title search at scale: the list query of `GET /api/tickets/?q=…` and of the console's queue,
in process, on DATABASE_URL (seed first with bench/seed.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/search.py

For each term (words that match nothing, terms of one and two letters, rare and common words,
a reference) and viewer (the L1 agent's API list, the L1 agent's open-tickets queue, a
requester), runs the page's SQL (`ticket_list` + the API's narrow columns, newest first, a page
of 26) --runs times after --warmup untimed runs, and prints p50 / p95 / max in milliseconds, the
rows found and the plan's first scan node (EXPLAIN). The console rows ("console L1 …") run the
statements the console's own paging builds (`_paginate`: newest, oldest and priority sorts, and
the second page from the first page's cursor), summed. Exit 1 when a p95 is at or above
--budget ms (default 100). `--terms em,printer` and `--viewers queue` narrow the run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils.http import urlencode  # noqa: E402

from accounts.models import User  # noqa: E402
from tickets.api.views import LIST_COLUMNS  # noqa: E402
from tickets.models_choices import ACTIVE_STATES  # noqa: E402
from tickets.selectors import TicketFilters, ticket_list  # noqa: E402
from tickets.views.console_queue import _paginate, queue_params_from, queue_queryset  # noqa: E402

TERMS = [
    ("no match, long", "kubernetes cluster"),
    ("no match, one word", "qwzrtx"),
    ("no match, 2 letters", "xy"),
    ("no match, 2 words", "a b"),
    ("short, common", "em"),
    ("1 letter", "e"),
    ("1 letter, a word", "a"),
    ("no match, 5 letters", "zzzqx"),
    ("rare word", "invoice"),
    ("common word", "printer"),
    ("two words", "email stopped"),
    ("reference", "REFERENCE"),  # the newest L1 open ticket's, found at run time
    ("a number", "404"),  # ticket 404 and the titles containing 404
    ("a number, #", "#500000"),
    ("a number, no ticket", "99999999"),
]
CONSOLE_SORTS = [("newest", False), ("newest", True), ("oldest", False), ("priority", False)]
CONSOLE_SORTS += [("priority", True)]


def _console_statements(agent: User, term: str, sort: str, page2: bool) -> list[str]:
    """The ticket statements of one console page (not the SLA clocks' prefetch), as run."""
    query = {"queue": "l1", "q": term, "sort": sort}
    params = queue_params_from(QueryDict(urlencode(query)), user=agent)
    _rows, cursor = _paginate(queue_queryset(agent, params), params)
    if page2:
        if not cursor:
            return []
        params = queue_params_from(QueryDict(urlencode({**query, "cursor": cursor})), user=agent)
    with CaptureQueriesContext(connection) as captured:
        _paginate(queue_queryset(agent, params), params)
    return [q["sql"] for q in captured.captured_queries if 'FROM "tickets_ticket"' in q["sql"]]


def _plan(sql: str, params: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    scans = [line.strip().lstrip("-> ").split("  (")[0] for line in lines if "Scan" in line]
    return scans[0] if scans else lines[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget", type=float, default=100.0, help="p95 target in ms")
    parser.add_argument("--terms", default="", help="comma-separated terms (default: all)")
    parser.add_argument("--viewers", default="", help="comma-separated: api, queue, console, req")
    args = parser.parse_args()

    agent = User.objects.get(username="bench-l1-01")
    requester = User.objects.get(username="bench-req-00001")
    newest_l1 = (
        ticket_list(user=agent, filters=TicketFilters(status=list(ACTIVE_STATES), tier=1))
        .order_by("-id")
        .first()
    )
    reference = newest_l1.reference if newest_l1 else "INC-000001"
    terms = [(label, reference if term == "REFERENCE" else term) for label, term in TERMS]
    if args.terms:
        terms = [(label, term) for label, term in terms if term in args.terms.split(",")]
    viewers: list[tuple[str, User, dict[str, Any]]] = [
        ("API, L1 agent", agent, {}),
        ("queue L1 open", agent, {"status": list(ACTIVE_STATES), "tier": 1}),
        ("API, requester", requester, {}),
    ]
    viewers += [
        (f"console L1 {sort}{' p2' if page2 else ''}", agent, {}) for sort, page2 in CONSOLE_SORTS
    ]
    if args.viewers:
        keys = {"api": "API, L1", "queue": "queue", "console": "console", "req": "API, req"}
        wanted = [keys[v] for v in args.viewers.split(",")]
        viewers = [v for v in viewers if any(v[0].startswith(w) for w in wanted)]
    print(f"tickets: {connection.vendor}, {_count():,}; {args.runs} runs after {args.warmup}")
    print(f"{'viewer':22} {'term':22} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'rows':>5}  plan")
    worst = 0.0
    for viewer, user, extra in viewers:
        for label, term in terms:
            statements: list[tuple[str, Any]]
            if viewer.startswith("console"):
                sort, page2 = viewer.split()[2], viewer.endswith("p2")
                statements = [(sql, None) for sql in _console_statements(user, term, sort, page2)]
                if not statements:
                    continue  # no second page
            else:
                queryset = (
                    ticket_list(user=user, filters=TicketFilters(search=term, **extra))
                    .only(*LIST_COLUMNS)
                    .order_by("-id")[:26]
                )
                statements = [queryset.query.sql_with_params()]
            times, rows = [], 0
            for n in range(args.warmup + args.runs):
                start = time.perf_counter()
                rows = 0
                with connection.cursor() as cursor:
                    for sql, params in statements:
                        cursor.execute(sql, params)
                        rows += len(cursor.fetchall())
                if n >= args.warmup:
                    times.append((time.perf_counter() - start) * 1000)
            sql, params = statements[0]
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            worst = max(worst, p95)
            print(
                f"{viewer:22} {label:22} {statistics.median(times):7.1f} {p95:7.1f} "
                f"{times[-1]:7.1f} {rows:5d}  {_plan(sql, params)}"
            )
    print(f"worst p95: {worst:.1f} ms (budget {args.budget:.0f} ms)")
    return 0 if worst < args.budget else 1


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'tickets_ticket'")
        return int(cursor.fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
