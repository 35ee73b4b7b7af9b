"""A trigram index for the list's title search (`title__icontains` → UPPER(title) LIKE …).

PostgreSQL only: on SQLite (the embedded default) the search stays a scan, which is fine at
demo sizes.
"""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ticket_title_trgm ON tickets_ticket "
    "USING gin (UPPER(title::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS ticket_title_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_category_index")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
