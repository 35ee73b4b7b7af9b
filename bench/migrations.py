#!/usr/bin/env python
"""The data backfill of the migration sla 0003_outcomes at scale, on DATABASE_URL — a COPY of a
seeded bench database with clocks (bench/dashboard.py creates them): it is wiped and refilled.

    createdb -T helpdesk_bench hd_migrations_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_migrations_bench python bench/migrations.py

Empties sla_slaoutcome and sla_slaoutcomeday and every ticket's time_to_resolve (the state the
migration finds: tables it has just created, a column just added), then times the migration's
`backfill` on the historical models (`--old`: the app's Python backfill the migration used to
call, sla.outcomes; `--before`: the migration's previous time-to-resolve statement, one UPDATE
joined to the table itself, then the same verdicts and days). Prints each statement's time, the
ticket rows updated and how many of them were HOT (no index touched), the rows written and the
elapsed time.

As the migration finds it, no index reads `time_to_resolve` (reports 0002 adds it to
`reports_ticket_resolved_idx` after sla 0003): the index is put back in its reports 0001 form
for the timing and rebuilt as reports 0002 leaves it afterwards (both untimed).
"""

from __future__ import annotations

import argparse
import importlib
import os
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _swap_resolved_index(*, final: bool) -> None:
    """reports_ticket_resolved_idx as reports 0001 built it (final=False) or as 0002 leaves it."""
    reports = importlib.import_module("reports.migrations.0002_time_to_resolve_indexes")
    definition = reports.RESOLVED_PG if final else reports.RESOLVED_PG_BEFORE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {reports.RESOLVED}")
        cursor.execute(f"CREATE INDEX {reports.RESOLVED} {definition}")


class _TimedEditor:
    """The schema editor, printing each statement's time."""

    def __init__(self, editor: Any) -> None:
        self._editor = editor
        self.connection = editor.connection

    def execute(self, sql: str, params: Any = ()) -> None:
        start = time.perf_counter()
        self._editor.execute(sql, params)
        line = " ".join(sql.split())[:70]
        print(f"  {time.perf_counter() - start:7.1f} s  {line}", flush=True)


def _before(apps: Any, editor: Any) -> None:
    migration = importlib.import_module("sla.migrations.0003_outcomes")
    editor.execute(migration.TIME_TO_RESOLVE_BEFORE_SQL)
    editor.execute(migration.OUTCOMES_SQL)
    editor.execute(migration.OUTCOME_DAYS_SQL, params=[settings.TIME_ZONE])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", action="store_true", help="time the former Python backfill")
    parser.add_argument(
        "--before", action="store_true", help="time the previous time-to-resolve statement"
    )
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
    _swap_resolved_index(final=False)

    start = time.perf_counter()
    hot = (0, 0)
    if args.old:
        from sla.outcomes import outcome_days_rebuild, outcomes_backfill, times_to_resolve_backfill

        times_to_resolve_backfill()
        outcomes_backfill()
        outcome_days_rebuild()
    else:
        migration = importlib.import_module("sla.migrations.0003_outcomes")
        state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
        backfill = _before if args.before else migration.backfill
        with connection.schema_editor(atomic=True) as editor:
            backfill(state.apps, _TimedEditor(editor))
            hot = (
                _scalar("SELECT pg_stat_get_xact_tuples_updated('tickets_ticket'::regclass)"),
                _scalar("SELECT pg_stat_get_xact_tuples_hot_updated('tickets_ticket'::regclass)"),
            )
    elapsed = time.perf_counter() - start
    _swap_resolved_index(final=True)
    print(f"ticket rows updated {hot[0]:,}, of which HOT {hot[1]:,}")
    label = "old Python" if args.old else "previous statement" if args.before else "migration"
    print(
        f"{label} backfill: {elapsed:.1f} s — "
        f"times to resolve {_scalar('SELECT COUNT(time_to_resolve) FROM tickets_ticket'):,}, "
        f"verdicts {_scalar('SELECT COUNT(*) FROM sla_slaoutcome'):,}, "
        f"day rows {_scalar('SELECT COUNT(*) FROM sla_slaoutcomeday'):,}"
    )


if __name__ == "__main__":
    main()
