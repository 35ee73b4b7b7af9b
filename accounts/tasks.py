from celery import shared_task
from django.db import DatabaseError

from accounts.services import account_email_send


# The lookup of the address happens here, not in the request (see accounts.services). A
# redelivered task is harmless: the outbox row's dedupe key is the request's `cause`.
@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
)
def send_account_email(
    *, purpose: str, email: str, name: str = "", language: str = "", cause: str
) -> bool:
    return (
        account_email_send(purpose=purpose, email=email, name=name, language=language, cause=cause)
        is not None
    )
