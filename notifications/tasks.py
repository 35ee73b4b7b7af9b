from datetime import timedelta

from celery import shared_task

from notifications.services import notification_deliver, outbox_pending_ids


@shared_task(acks_late=True)
def deliver_notification(notification_id: int) -> bool:
    return notification_deliver(notification_id=notification_id)


@shared_task
def flush_outbox() -> int:
    """Deliver what the immediate hand-off missed; the claim makes a double send impossible."""
    sent = 0
    for notification_id in outbox_pending_ids(older_than=timedelta(seconds=20)):
        sent += notification_deliver(notification_id=notification_id)
    return sent
