from celery import shared_task

from incidents.services import overdue_updates_remind


@shared_task
def remind_overdue_updates() -> int:
    """Beat, every minute: each overdue update is claimed once, so overlapping runs are safe."""
    return overdue_updates_remind()
