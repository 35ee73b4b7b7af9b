#!/usr/bin/env python
"""OLA sweep benchmark: one sweep (record + apply) with --due OLA clocks breached at once.

    .venv/bin/python bench/ola_sweep.py                 # 1,000 and 5,000 breaches
    .venv/bin/python bench/ola_sweep.py --due 20000

Uses its own database, helpdesk_ola_bench (created and migrated when missing; override with
OLA_BENCH_DATABASE_URL). Each round adds --due prioritized L1 tickets whose take and hand-off
clocks fell due a minute ago (bulk inserts), one lead per tier, then times
`ola.sweep.ola_record_due` and `ola.sweep.ola_events_apply` with their statement counts, checks
that every breach was recorded and notified once and that a second sweep finds nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get(
    "OLA_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_ola_bench"
)
os.environ["DATABASE_URL"] = BENCH_URL
os.environ["DATABASE_POOL"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("HELPDESK_LOG_LEVEL", "WARNING")


def ensure_database() -> None:
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(BENCH_URL)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User
    from escalation.models import SupportGroup, Tier
    from notifications.models import Notification, NotificationKind
    from ola.models import OlaClock, OlaEvent, OlaMetric
    from ola.sweep import ola_events_apply, ola_record_due, ola_sweep
    from sla.models import ClockState
    from tickets.models import Status, Ticket

    requester, _ = User.objects.get_or_create(username="ola_bench_requester")
    for tier in Tier.values:
        lead, _ = User.objects.get_or_create(
            username=f"ola_bench_lead_{tier}",
            defaults={"role": Role.AGENT, "email": f"lead{tier}@example.org"},
        )
        SupportGroup.objects.update_or_create(
            name=f"OLA bench L{tier}", defaults={"tier": tier, "lead": lead}
        )
    for due in args.due:
        now = timezone.now()
        started = now - timedelta(hours=1)
        tickets = Ticket.objects.bulk_create(
            Ticket(
                title=f"OLA bench {n}",
                description="…",
                requester=requester,
                status=Status.PRIORITIZED,
                tier=Tier.L1,
                priority=2,
                created_at=started,
            )
            for n in range(due // 2)
        )
        OlaClock.objects.bulk_create(
            OlaClock(
                ticket=ticket,
                tier=Tier.L1,
                metric=metric,
                priority=2,
                started_at=started,
                target=minutes,
                at_risk_at=started + minutes * 0.75,
                warning_at=started + minutes * 0.9,
                due_at=started + minutes,
                next_alert_at=started + minutes,
                state=ClockState.RUNNING,
            )
            for ticket in tickets
            for metric, minutes in (
                (OlaMetric.TAKE, timedelta(minutes=15)),
                (OlaMetric.HANDOFF, timedelta(minutes=30)),
            )
        )
        events_before = OlaEvent.objects.count()
        notes_before = Notification.objects.filter(kind=NotificationKind.OLA_BREACH).count()
        with CaptureQueriesContext(connection) as record_queries:
            t0 = time.perf_counter()
            seen, recorded = ola_record_due(now=now)
            t1 = time.perf_counter()
        with CaptureQueriesContext(connection) as apply_queries:
            t2 = time.perf_counter()
            applied = ola_events_apply()
            t3 = time.perf_counter()
        assert recorded == applied == 2 * len(tickets), (recorded, applied)
        assert OlaEvent.objects.count() - events_before == recorded
        notes = Notification.objects.filter(kind=NotificationKind.OLA_BREACH).count()
        assert notes - notes_before == recorded  # one L1 lead
        again = ola_sweep(now=now)
        assert (again.recorded, again.applied) == (0, 0)
        print(
            f"{recorded:>6} breaches: record {1000 * (t1 - t0):7.0f} ms "
            f"({len(record_queries.captured_queries)} statements), apply "
            f"{1000 * (t3 - t2):7.0f} ms ({len(apply_queries.captured_queries)} statements); "
            f"{seen} clocks looked at"
        )


if __name__ == "__main__":
    main()
