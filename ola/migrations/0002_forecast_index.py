"""The breach forecast's range read on OLA clocks (sla.forecast.OlaForecastSource): running
clocks by due time, as reports_clock_running_idx for the SLA clocks."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ola", "0001_clocks_and_targets"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="olaclock",
            index=models.Index(
                condition=models.Q(("state", "running")),
                fields=["due_at"],
                name="ola_clock_running_idx",
            ),
        ),
    ]
