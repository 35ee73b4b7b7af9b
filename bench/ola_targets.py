#!/usr/bin/env python
"""Turn OLAs on for a whole desk: save the demo's 15 OLA targets through the service and time
each one's backfill (the clocks it starts on the open tickets already in its tier).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/ola_targets.py

Seed first (bench/seed.py). Signs as `bench-manager`. Prints per target the clocks started, the
statements and the milliseconds; then the totals. Run it once: a second run finds every ticket
covered and starts nothing (the backfill is idempotent), which it also prints.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from ola.models import OlaClock, OlaTarget  # noqa: E402
from ola.services import ola_target_save  # noqa: E402

MINUTES = timedelta(minutes=1)
# tickets/management/commands/seed_demo.py's table: tier → priority → (take, hand on) minutes.
TABLE = {
    1: {1: (15, 30), 2: (30, 120), 3: (60, 240), 4: (120, 480), 5: (240, 960)},
    2: {1: (30, 120), 2: (60, 240), 3: (120, 480), 4: (240, 960), 5: (480, 1440)},
    3: {1: (15, 240), 2: (60, 480), 3: (120, 960), 4: (240, 1440), 5: (480, 2880)},
}


def main() -> None:
    manager = User.objects.get(username="bench-manager")
    total_start = time.perf_counter()
    before = OlaClock.objects.count()
    print(f"{'tier':>4} {'prio':>4} {'clocks':>8} {'stmts':>6} {'ms':>9}")
    for tier, rows in TABLE.items():
        for priority, (take, handoff) in rows.items():
            existing = OlaTarget.objects.filter(tier=tier, priority=priority).first()
            count = OlaClock.objects.count()
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                ola_target_save(
                    actor=manager,
                    target=existing,
                    tier=tier,
                    priority=priority,
                    take_within=take * MINUTES,
                    handoff_within=handoff * MINUTES,
                )
            elapsed = (time.perf_counter() - start) * 1000
            started = OlaClock.objects.count() - count
            print(f"{tier:>4} {priority:>4} {started:>8,} {len(queries):>6} {elapsed:>9.1f}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ola_olaclock")
    print(
        f"OLA clocks started: {OlaClock.objects.count() - before:,} "
        f"in {time.perf_counter() - total_start:.1f} s; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
