from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError

from notifications.services import in_app_purge, notification_deliver, outbox_pending_ids


# A redelivered or retried task is harmless: the claim lets only one call send a row. SMTP
# failures are not raised: the row keeps the error (visible in the admin) and the sweep retries
# it with backoff. Only a database outage is retried here.
@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_notifications(notification_ids: list[int]) -> int:
    """A batch writer's rows (e.g. one SLA sweep batch), handed over in one publish."""
    return sum(notification_deliver(notification_id=pk) for pk in notification_ids)


@shared_task
def flush_outbox() -> int:
    """Deliver what the immediate hand-off missed and failed sends whose retry is due."""
    sent = 0
    for notification_id in outbox_pending_ids(older_than=timedelta(seconds=20)):
        sent += notification_deliver(notification_id=notification_id)
    return sent


@shared_task
def purge_in_app_notifications() -> int:
    """The bell's retention (settings HELPDESK_IN_APP_*_RETENTION_DAYS)."""
    return in_app_purge()
