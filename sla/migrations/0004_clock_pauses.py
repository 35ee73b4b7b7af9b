"""Each finished pause of a clock, one by one (a pause moves only the moments it began before).

Clocks paused before this migration have none: their moments keep counting every paused second
until `manage.py sla_recompute` rebuilds them from the ticket events (run it after migrating).
The column has a database default, so adding it rewrites nothing.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0003_outcomes"),
    ]

    operations = [
        migrations.AddField(
            model_name="slaclock",
            name="pauses",
            field=models.JSONField(blank=True, db_default=[], default=list, verbose_name="pauses"),
        ),
    ]
