from dataclasses import asdict

from celery import shared_task

from ola.sweep import ola_sweep


@shared_task(acks_late=True)
def sweep_ola() -> dict[str, int]:
    """Record the OLA breaches passed and notify the tier leads; safe to run twice at once."""
    return asdict(ola_sweep())
