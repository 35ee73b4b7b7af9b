from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError

from chat.services import chat_delivery_deliver, chat_due_ids


# A redelivered task is harmless: the claim lets one call send a row, and a row not yet due
# (waiting for its retry) is left alone. HTTP failures are kept on the row and retried by the
# flush with backoff; only a database outage retries the task itself.
@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def deliver_chat(delivery_id: int) -> bool:
    return chat_delivery_deliver(delivery_id=delivery_id)


@shared_task
def flush_chat_outbox() -> int:
    """Hand out rows whose hand-off was lost and failed sends whose retry is due, one task
    each (a dead target's rows never wait in line before another channel's)."""
    ids = chat_due_ids(older_than=timedelta(seconds=20))
    for delivery_id in ids:
        deliver_chat.delay(delivery_id)
    return len(ids)
