"""Indexes the dashboard's queries read, on tables of the tickets and sla apps.

They are created here (the reports app owns the queries) with raw SQL, so the tickets and sla
models and migrations stay untouched. PostgreSQL gets covering, partial indexes built
CONCURRENTLY (no write lock on a live table); SQLite gets plain partial equivalents.
Each is shaped like one query of `reports.selectors`:

- resolved tickets in a period (MTTR, rates, trend): ticket (resolved_at) with the filter and
  figure columns included, so the scan is index-only;
- first responses in a period: ticket (first_response_at), likewise;
- created per day / week: ticket (created_at);
- met clocks in a period: clock (stopped_at) WHERE state = 'met';
- breached clocks (stopped late, or still running or paused past due): clock (due_at) WHERE the
  state is breached / running / paused;
- at risk now: running clocks by due_at (only those not yet due are read), and paused clocks
  that had passed 75 % but not 100 % when they paused (the predicate is the query's);
- the ticket columns that clock figures group and filter by, by ticket id, so joining a
  period's clocks to their tickets reads this narrow index instead of the wide ticket rows;
- backlog now: ticket (status, tier) WHERE not yet resolved, with the filter columns;
- paused time of a ticket's resolution cycles: clock (ticket_id) WHERE metric = 'resolution'
  AND paused > 0 — only tickets that ever waited on the requester are in it.
"""

from django.db import migrations

INDEXES = [
    # (name, table, PostgreSQL definition, SQLite definition)
    (
        "reports_ticket_resolved_idx",
        "tickets_ticket",
        "(resolved_at) INCLUDE (id, created_at, kind, priority, tier, category_id, "
        "support_group_id, escalation_count, reopen_count) WHERE resolved_at IS NOT NULL",
        "(resolved_at) WHERE resolved_at IS NOT NULL",
    ),
    (
        "reports_ticket_first_response_idx",
        "tickets_ticket",
        "(first_response_at) INCLUDE (id, created_at, kind, priority, tier, category_id, "
        "support_group_id) WHERE first_response_at IS NOT NULL",
        "(first_response_at) WHERE first_response_at IS NOT NULL",
    ),
    (
        "reports_ticket_created_idx",
        "tickets_ticket",
        "(created_at) INCLUDE (id, kind, priority, tier, category_id, support_group_id)",
        "(created_at)",
    ),
    (
        "reports_clock_met_idx",
        "sla_slaclock",
        "(stopped_at) INCLUDE (metric, ticket_id) WHERE state = 'met'",
        "(stopped_at) WHERE state = 'met'",
    ),
    (
        "reports_clock_due_idx",
        "sla_slaclock",
        "(due_at) INCLUDE (metric, ticket_id, state, at_risk_at, paused_since) "
        "WHERE state IN ('breached', 'running', 'paused')",
        "(due_at) WHERE state IN ('breached', 'running', 'paused')",
    ),
    (
        "reports_clock_running_idx",
        "sla_slaclock",
        "(due_at) INCLUDE (at_risk_at, metric, ticket_id) WHERE state = 'running'",
        "(due_at) WHERE state = 'running'",
    ),
    (
        "reports_clock_paused_now_idx",
        "sla_slaclock",
        "(ticket_id) INCLUDE (due_at, metric) WHERE state = 'paused' "
        "AND at_risk_at <= paused_since AND due_at > paused_since",
        "(ticket_id) WHERE state = 'paused' AND at_risk_at <= paused_since "
        "AND due_at > paused_since",
    ),
    (
        "reports_ticket_backlog_idx",
        "tickets_ticket",
        "(status, tier) INCLUDE (id, kind, priority, category_id, support_group_id) "
        "WHERE status IN ('new', 'logged', 'categorized', 'prioritized', 'in_diagnosis', "
        "'on_hold', 'escalated')",
        "(status, tier) WHERE status IN ('new', 'logged', 'categorized', 'prioritized', "
        "'in_diagnosis', 'on_hold', 'escalated')",
    ),
    (
        "reports_ticket_dims_idx",
        "tickets_ticket",
        "(id) INCLUDE (kind, priority, tier, category_id, support_group_id)",
        None,
    ),
    (
        "reports_clock_paused_idx",
        "sla_slaclock",
        "(ticket_id) INCLUDE (paused) WHERE metric = 'resolution' AND paused > interval '0'",
        "(ticket_id) WHERE metric = 'resolution' AND paused > 0",
    ),
]


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, postgresql, sqlite in INDEXES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {postgresql}"
            )
        elif vendor == "sqlite" and sqlite:
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {sqlite}")


def drop_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, _table, _postgresql, _sqlite in INDEXES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tickets", "0004_title_search_index"),
        ("sla", "0002_default_policy"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
