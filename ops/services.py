from datetime import datetime

from django.utils import timezone

from ops.models import Heartbeat

# The names periodic jobs record under (ops.selectors reads them).
SLA_SWEEP = "sla_sweep"


def heartbeat_record(*, name: str, at: datetime | None = None) -> None:
    """Record that the job `name` finished now (or at `at`): one upsert."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )
