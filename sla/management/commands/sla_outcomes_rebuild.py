"""Record the SLA outcomes the clocks already say, then recount every day.

manage.py sla_outcomes_rebuild    # after changing HELPDESK_TIME_ZONE, or on imported data

Verdicts the clocks say (met, or a breach the sweep recorded) are added, or revised where
recorded otherwise, and resolved tickets without a stored time to resolve get one. The days
(`SlaOutcomeDay`) are recounted in the current settings.TIME_ZONE.
"""

from typing import Any

from django.core.management.base import BaseCommand

from sla.outcomes import outcome_days_rebuild, outcomes_backfill, times_to_resolve_backfill


class Command(BaseCommand):
    help = "Record the SLA outcomes the clocks say and recount the dashboards' days."

    def handle(self, *args: Any, **options: Any) -> None:
        times = times_to_resolve_backfill()
        added = outcomes_backfill()
        days = outcome_days_rebuild()
        self.stdout.write(
            f"{times} times to resolve stored; {added} outcomes added or revised; "
            f"{days} day rows counted."
        )
