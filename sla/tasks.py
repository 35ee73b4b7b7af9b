from dataclasses import asdict

from celery import shared_task

from sla.sweep import sla_sweep


@shared_task(acks_late=True)
def sweep_sla() -> dict[str, int]:
    """Record the SLA thresholds passed and apply their effects; safe to run twice at once."""
    return asdict(sla_sweep())
