from celery import shared_task

from tickets.services import tickets_auto_close


@shared_task
def auto_close_resolved() -> int:
    """Close tickets whose resolution the requester neither confirmed nor rejected in time."""
    return tickets_auto_close()
