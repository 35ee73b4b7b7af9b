#!/usr/bin/env python
"""The data backfill of the migration sla 0003_outcomes at scale, on DATABASE_URL — a COPY of a
seeded bench database with clocks (bench/dashboard.py creates them): it is wiped and refilled.

    createdb -T helpdesk_bench hd_migrations_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hd_migrations_bench python bench/migrations.py

Empties sla_slaoutcome and sla_slaoutcomeday and every ticket's time_to_resolve (the state the
migration finds: tables it has just created, a column just added), then times what the
migration runs on the historical models: `times_to_resolve` outside a transaction (one UPDATE per
line pointer, each committed), then `backfill` in one transaction (`--old`: the app's Python
backfill the migration used to call, sla.outcomes; `--before`: the previous time-to-resolve
statements, the temporary table and one UPDATE of every row in the migration's transaction;
`--self-join`: the one before, one UPDATE joined to the table itself). Prints each statement's
time (the batches summed), the ticket rows updated and how many of them were HOT (no index
touched), the rows written, the elapsed time, the WAL written and the load average before and
after. sla_slaoutcome's unique constraint and index on `at` are dropped first (untimed) and
built after the backfill (timed), as the migration does. `--executor`: the migration itself,
applied by Django's executor (its two tables dropped and its record deleted first).

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

from django.db import connection, transaction  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402


def _scalar(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _updates() -> tuple[int, int]:
    """tickets_ticket's rows updated and HOT-updated so far (this session's counts flushed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    # The flush happens when the session goes idle, after the statement above.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pg_stat_get_tuples_updated(oid), pg_stat_get_tuples_hot_updated(oid) "
            "FROM pg_class WHERE oid = 'tickets_ticket'::regclass"
        )
        updated, hot = cursor.fetchone()
    return int(updated), int(hot)


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _swap_resolved_index(*, final: bool) -> None:
    """reports_ticket_resolved_idx as reports 0001 built it (final=False) or as 0002 leaves it."""
    reports = importlib.import_module("reports.migrations.0002_time_to_resolve_indexes")
    definition = reports.RESOLVED_PG if final else reports.RESOLVED_PG_BEFORE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {reports.RESOLVED}")
        cursor.execute(f"CREATE INDEX {reports.RESOLVED} {definition}")


class _TimedEditor:
    """The schema editor, printing each statement's time; the same statement run again (the
    batches) is summed and printed once with its count, by `flush`."""

    def __init__(self, editor: Any, *, each: bool = False) -> None:
        self._editor = editor
        self.connection = editor.connection
        self._each = each
        self._last: tuple[str, int, float] | None = None

    def execute(self, sql: str, params: Any = ()) -> None:
        start = time.perf_counter()
        self._editor.execute(sql, params)
        elapsed = time.perf_counter() - start
        line = " ".join(sql.split())
        if self._each and params:
            line = f"{params} {line}"
        if self._last and self._last[0] == line:
            self._last = (line, self._last[1] + 1, self._last[2] + elapsed)
            return
        self.flush()
        self._last = (line, 1, elapsed)

    def flush(self) -> None:
        if self._last:
            line, count, elapsed = self._last
            times = f"{count}× " if count > 1 else ""
            print(f"  {elapsed:7.1f} s  {times}{line[:70]}", flush=True)
        self._last = None


# The migration's previous temporary table (no chunk or line: one UPDATE read it).
PREVIOUS_TEMP_SQL = """
CREATE TEMPORARY TABLE sla_0003_time_to_resolve AS
SELECT t.id, t.resolved_at - t.created_at - COALESCE(p.paused, interval '0') AS value
FROM tickets_ticket AS t
LEFT JOIN (
    SELECT ticket_id, SUM(paused) AS paused FROM sla_slaclock
    WHERE metric = 'resolution' GROUP BY ticket_id
) AS p ON p.ticket_id = t.id
WHERE t.resolved_at IS NOT NULL AND t.time_to_resolve IS NULL
"""


def _before(apps: Any, editor: Any) -> None:
    """The previous statements: the temporary table, then every row in one UPDATE."""
    migration = importlib.import_module("sla.migrations.0003_outcomes")
    editor.execute(PREVIOUS_TEMP_SQL)
    editor.execute("ANALYZE sla_0003_time_to_resolve")
    editor.execute(migration.TIME_TO_RESOLVE_SQL)
    editor.execute(migration.TIME_TO_RESOLVE_DROP_SQL)
    migration.backfill(apps, editor)


def _self_join(apps: Any, editor: Any) -> None:
    migration = importlib.import_module("sla.migrations.0003_outcomes")
    editor.execute(migration.TIME_TO_RESOLVE_BEFORE_SQL)
    migration.backfill(apps, editor)


def _executor() -> None:
    """sla 0003 applied as `migrate` applies it: its tables dropped and its record deleted first
    (untimed), then the executor's apply_migration (tables, batches, verdicts, constraint,
    deferred index, record), timed as a whole."""
    from django.db.migrations.executor import MigrationExecutor

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sla_slaoutcome, sla_slaoutcomeday")
        cursor.execute("DELETE FROM django_migrations WHERE app = 'sla' AND name = '0003_outcomes'")
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("sla", "0003_outcomes")
    state = executor.loader.project_state(("sla", "0003_outcomes"), at_end=False)
    print(_load(), flush=True)
    counted = _updates()
    start = time.perf_counter()
    executor.apply_migration(state, migration)
    elapsed = time.perf_counter() - start
    hot = tuple(after - before for after, before in zip(_updates(), counted, strict=True))
    print(_load(), flush=True)
    _swap_resolved_index(final=True)
    print(f"ticket rows updated {hot[0]:,}, of which HOT {hot[1]:,}")
    print(
        f"sla 0003 applied by the executor: {elapsed:.1f} s — "
        f"times to resolve {_scalar('SELECT COUNT(time_to_resolve) FROM tickets_ticket'):,}, "
        f"verdicts {_scalar('SELECT COUNT(*) FROM sla_slaoutcome'):,}, "
        f"day rows {_scalar('SELECT COUNT(*) FROM sla_slaoutcomeday'):,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", action="store_true", help="time the former Python backfill")
    parser.add_argument(
        "--before", action="store_true", help="time the previous time-to-resolve statements"
    )
    parser.add_argument(
        "--self-join", action="store_true", help="time the time-to-resolve UPDATE before that"
    )
    parser.add_argument("--each", action="store_true", help="print every batch's time")
    parser.add_argument(
        "--executor",
        action="store_true",
        help="apply the migration itself with Django's executor (drops its two tables first)",
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
    if args.executor:
        _executor()
        return
    if not args.old:
        # As the migration finds sla_slaoutcome: its index on `at` is built after the backfill
        # (Django defers it), and so is its unique constraint now (an operation of its own).
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS sla_outcome_at_idx")
            if not (args.before or args.self_join):
                cursor.execute(
                    "ALTER TABLE sla_slaoutcome DROP CONSTRAINT IF EXISTS sla_outcome_once"
                )

    print(_load(), flush=True)
    counted = _updates()
    wal = _scalar("SELECT pg_current_wal_lsn() - '0/0'")
    start = time.perf_counter()
    if args.old:
        from sla.outcomes import outcome_days_rebuild, outcomes_backfill, times_to_resolve_backfill

        times_to_resolve_backfill()
        outcomes_backfill()
        outcome_days_rebuild()
    else:
        migration = importlib.import_module("sla.migrations.0003_outcomes")
        state = MigrationLoader(connection).project_state(("sla", "0003_outcomes"))
        outcome = state.apps.get_model("sla", "SlaOutcome")
        if args.before or args.self_join:
            # One transaction, as the migration ran before.
            with connection.schema_editor(atomic=True) as editor:
                timed = _TimedEditor(editor)
                (_before if args.before else _self_join)(state.apps, timed)
                timed.flush()
        else:
            # As the migration runs now (atomic = False): the batches, each committed, then the
            # verdicts and days in one transaction (that operation is atomic).
            assert migration.Migration.atomic is False
            with connection.schema_editor(atomic=False) as editor:
                timed = _TimedEditor(editor, each=args.each)
                waited = migration.times_to_resolve(state.apps, timed)
                timed.flush()
                print(f"  ({waited:.1f} s of the batches waited for older transactions to end)")
                with transaction.atomic():
                    migration.backfill(state.apps, timed)
                    timed.flush()
                add_constraint = migration.Migration.operations[-1]
                started = time.perf_counter()
                editor.add_constraint(outcome, add_constraint.constraint)
                print(f"  {time.perf_counter() - started:7.1f} s  (AddConstraint) sla_outcome_once")
        started = time.perf_counter()
        with connection.schema_editor() as editor:
            editor.add_index(outcome, outcome._meta.indexes[0])
        print(
            f"  {time.perf_counter() - started:7.1f} s  (deferred) CREATE INDEX sla_outcome_at_idx"
        )
    elapsed = time.perf_counter() - start
    hot = tuple(after - before for after, before in zip(_updates(), counted, strict=True))
    wal = _scalar("SELECT pg_current_wal_lsn() - '0/0'") - wal
    print(_load(), f"— WAL written {wal / 2**20:,.0f} MiB", flush=True)
    _swap_resolved_index(final=True)
    print(f"ticket rows updated {hot[0]:,}, of which HOT {hot[1]:,}")
    label = (
        "old Python"
        if args.old
        else "previous statements"
        if args.before
        else "self-join statement"
        if args.self_join
        else "migration"
    )
    print(
        f"{label} backfill: {elapsed:.1f} s — "
        f"times to resolve {_scalar('SELECT COUNT(time_to_resolve) FROM tickets_ticket'):,}, "
        f"verdicts {_scalar('SELECT COUNT(*) FROM sla_slaoutcome'):,}, "
        f"day rows {_scalar('SELECT COUNT(*) FROM sla_slaoutcomeday'):,}"
    )


if __name__ == "__main__":
    main()
