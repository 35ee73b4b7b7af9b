from celery import shared_task
from django.utils import timezone

from breaches.services import breach_clock_sweep


@shared_task
def sweep_breach_clocks() -> int:
    """Beat, every 60 s: record and notify the 72-hour clock thresholds that fell due."""
    return breach_clock_sweep(now=timezone.now())
