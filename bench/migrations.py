#!/usr/bin/env python
"""The data backfill of the migration sla 0003_outcomes at scale, on DATABASE_URL — a COPY of a
seeded bench database with clocks (bench/dashboard.py creates them): it is wiped and refilled.

    createdb -T helpdesk_bench hd_migrations_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_migrations_bench python bench/migrations.py

Empties sla_slaoutcome and sla_slaoutcomeday and every ticket's time_to_resolve (the state the
migration finds: tables it has just created, a column just added), then times the migration's
`backfill` on the historical models (`--old`: the app's Python backfill the migration used to
call, sla.outcomes). Prints the rows written and the elapsed time.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", action="store_true", help="time the former Python backfill")
    args = parser.parse_args()

    resolved = _scalar("SELECT COUNT(*) FROM tickets_ticket WHERE resolved_at IS NOT NULL")
    print(
        f"tickets {_scalar('SELECT COUNT(*) FROM tickets_ticket'):,}, resolved {resolved:,}, "
        f"clocks {_scalar('SELECT COUNT(*) FROM sla_slaclock'):,}"
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE sla_slaoutcome, sla_slaoutcomeday")
        cursor.execute(
            "UPDATE tickets_ticket SET time_to_resolve = NULL WHERE time_to_resolve IS NOT NULL"
        )
        cursor.execute("VACUUM (ANALYZE) tickets_ticket, sla_slaoutcome, sla_slaoutcomeday")

    start = time.perf_counter()
    if args.old:
        from sla.outcomes import outcome_days_rebuild, outcomes_backfill, times_to_resolve_backfill

        times_to_resolve_backfill()
        outcomes_backfill()
        outcome_days_rebuild()
    else:
        migration = importlib.import_module("sla.migrations.0003_outcomes")
        state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
        with connection.schema_editor(atomic=True) as editor:
            migration.backfill(state.apps, editor)
    elapsed = time.perf_counter() - start
    print(
        f"{'old Python' if args.old else 'migration'} backfill: {elapsed:.1f} s — "
        f"times to resolve {_scalar('SELECT COUNT(time_to_resolve) FROM tickets_ticket'):,}, "
        f"verdicts {_scalar('SELECT COUNT(*) FROM sla_slaoutcome'):,}, "
        f"day rows {_scalar('SELECT COUNT(*) FROM sla_slaoutcomeday'):,}"
    )


if __name__ == "__main__":
    main()
