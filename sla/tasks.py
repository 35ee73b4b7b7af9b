from dataclasses import asdict

from celery import shared_task

from ops.services import SLA_SWEEP, heartbeat_record
from sla.sweep import sla_sweep


@shared_task(acks_late=True)
def sweep_sla() -> dict[str, int]:
    """Record the SLA thresholds passed and apply their effects; safe to run twice at once."""
    result = asdict(sla_sweep())
    # Beat and a worker are alive: /readyz and /metrics read when this last happened.
    heartbeat_record(name=SLA_SWEEP)
    return result
