"""The dashboard reads stored verdicts and times to resolve now (sla 0003), so:

- the resolved-tickets index also carries `time_to_resolve` (the MTTR scan stays index-only);
- the SLA day counts get a covering index by day, so a period's days are an index-only scan;
- the indexes for counting clocks in a period, for joining clocks to their tickets, and for
  summing each ticket's paused time go: nothing reads them, and every ticket or clock write paid
  for them.
"""

from django.db import migrations

DROPPED = [
    ("reports_clock_met_idx", "sla_slaclock"),
    ("reports_clock_due_idx", "sla_slaclock"),
    ("reports_ticket_dims_idx", "tickets_ticket"),
    ("reports_clock_paused_idx", "sla_slaclock"),
]
DAYS = "reports_outcome_day_idx"
DAYS_PG = (
    "ON sla_slaoutcomeday (day) INCLUDE (metric, kind, priority, tier, category_id, "
    "support_group_id, met, breached)"
)
RESOLVED = "reports_ticket_resolved_idx"
RESOLVED_PG = (
    "ON tickets_ticket (resolved_at) INCLUDE (id, created_at, kind, priority, tier, category_id, "
    "support_group_id, escalation_count, reopen_count, time_to_resolve) "
    "WHERE resolved_at IS NOT NULL"
)
RESOLVED_PG_BEFORE = (
    "ON tickets_ticket (resolved_at) INCLUDE (id, created_at, kind, priority, tier, category_id, "
    "support_group_id, escalation_count, reopen_count) WHERE resolved_at IS NOT NULL"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        for name, _table in DROPPED:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        return  # SQLite's resolved index has no INCLUDE: nothing to add
    for name, _table in DROPPED:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {DAYS} {DAYS_PG}")
    # Build the new one under another name first, so the dashboard always has one.
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {RESOLVED}_v2 {RESOLVED_PG}")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {RESOLVED}")
    schema_editor.execute(f"ALTER INDEX {RESOLVED}_v2 RENAME TO {RESOLVED}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {DAYS}")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {RESOLVED}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {RESOLVED} {RESOLVED_PG_BEFORE}"
    )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("reports", "0001_dashboard_indexes"),
        ("sla", "0003_outcomes"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
