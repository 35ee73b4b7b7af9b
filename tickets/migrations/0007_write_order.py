"""Ticket events and comments keep the order they were written in, across both tables.

One PostgreSQL sequence feeds `seq` on both. Rows written before have none (NULL): the column
is added without a default and the default set afterwards, so the tables are not rewritten
and history keeps ordering by time and id as before. SQLite gets a plain NULL column.
"""

from django.db import migrations, models

import tickets.models

TABLES = ("tickets_ticketevent", "tickets_comment")


def add_columns(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"CREATE SEQUENCE {tickets.models.WRITE_SEQUENCE}")
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN seq bigint NULL")
        if postgresql:
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN seq "
                f"SET DEFAULT nextval('{tickets.models.WRITE_SEQUENCE}')"
            )


def drop_columns(apps, schema_editor):
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN seq")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE {tickets.models.WRITE_SEQUENCE}")


def seq_field():
    return models.BigIntegerField(
        db_default=tickets.models.WriteOrder(),
        editable=False,
        help_text="Write order across events and comments (empty before it was kept).",
        null=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_ticket_time_to_resolve"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
            state_operations=[
                migrations.AddField(model_name="comment", name="seq", field=seq_field()),
                migrations.AddField(model_name="ticketevent", name="seq", field=seq_field()),
            ],
        ),
    ]
