"""The index the breach forecast's agent load reads (sla.forecast.agent_load): open tickets by
assignee. The clocks side needs none of its own: reports_clock_running_idx (running clocks by
due time) is already the forecast's range read.

Raw SQL like reports' dashboard indexes, so the tickets model and migrations stay untouched;
built CONCURRENTLY on PostgreSQL (no write lock on a live table).
"""

from django.db import migrations

NAME = "sla_forecast_open_assignee_idx"
ACTIVE = "'new', 'logged', 'categorized', 'prioritized', 'in_diagnosis', 'on_hold', 'escalated'"
WHERE = f"assignee_id IS NOT NULL AND status IN ({ACTIVE})"


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON tickets_ticket (assignee_id) "
            f"WHERE {WHERE}"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON tickets_ticket (assignee_id) WHERE {WHERE}"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("sla", "0004_clock_pauses"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
