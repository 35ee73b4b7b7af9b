"""What one /metrics scrape costs the database at the size of DATABASE_URL (read-only).

Runs each read of the desk gauges (ops/selectors.py) REPEAT times and prints the median and
worst time of each, then the total. Only SELECTs: safe on a shared benchmark database. A read
whose table is missing there (the ops heartbeat table on a database migrated before it) is
reported as such. Usage: DATABASE_URL=... .venv/bin/python bench/metrics_scrape.py [REPEAT]
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django

django.setup()

from django.db import DatabaseError, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from ops import selectors  # noqa: E402

REPEAT = int(sys.argv[1]) if len(sys.argv) > 1 else 20

READS = {
    "heartbeats": selectors.heartbeats,
    "sla sweep lag": lambda: selectors.sla_oldest_due(now=timezone.now()),
    "sla clocks by state": selectors.sla_clocks_by_state,
    "sla events unapplied": selectors.sla_events_unapplied,
    "outbox backlog": selectors.outbox_backlog,
    "breach clocks": lambda: selectors.breach_clocks(now=timezone.now()),
}


def main() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'tickets_ticket'::regclass"
        )
        tickets = cursor.fetchone()[0]
        cursor.execute("SELECT pg_relation_size('sla_slaclock'::regclass)")
        clock_bytes = cursor.fetchone()[0]
    print(
        f"database: {connection.settings_dict['NAME']}, ~{tickets} tickets "
        f"(estimate), sla_slaclock {clock_bytes / 2**20:.0f} MiB"
    )
    print(f"sla_clocks_by_state: {selectors.sla_clocks_by_state()}")
    total = 0.0
    for name, read in READS.items():
        times = []
        try:
            for _ in range(REPEAT):
                with transaction.atomic():
                    started = time.perf_counter()
                    read()
                    times.append((time.perf_counter() - started) * 1000)
        except DatabaseError as error:
            print(f"{name:24s} not measured: {str(error).splitlines()[0]}")
            continue
        median = statistics.median(times)
        total += median
        print(f"{name:24s} median {median:7.2f} ms   worst {max(times):7.2f} ms")
    print(f"{'total (medians)':24s}        {total:7.2f} ms per scrape")


if __name__ == "__main__":
    main()
