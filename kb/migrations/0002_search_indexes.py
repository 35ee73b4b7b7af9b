"""Full-text (English + Spanish) and trigram GIN indexes for similar incidents and articles.

PostgreSQL only (the embedded SQLite mode searches without them). The ticket indexes live here,
not in a tickets migration: they are expression indexes over tickets_ticket's existing columns,
partial on resolved/closed tickets, and the exact expressions are in kb/sql.py.
On a large live table, build them first by hand with CREATE INDEX CONCURRENTLY (same names:
this migration then skips them, IF NOT EXISTS).
"""

from django.db import migrations

from kb.sql import INDEXES


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _name, statement in INDEXES:
        schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _statement in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_articles_and_links")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
