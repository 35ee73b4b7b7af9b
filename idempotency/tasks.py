from celery import shared_task
from django.utils import timezone

from idempotency.services import idempotency_keys_purge


@shared_task
def purge_expired_keys() -> int:
    """Forget idempotency keys past their lifetime (HELPDESK_IDEMPOTENCY_KEY_HOURS)."""
    return idempotency_keys_purge(now=timezone.now())
