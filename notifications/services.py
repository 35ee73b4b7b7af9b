"""The notification outbox: enqueue inside a transaction, deliver once after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from notifications.models import DeliveryStatus, Notification, NotificationKind
from tickets.models import Ticket

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim older than this belongs to a worker that died mid-send: the row is retried.
STALE_CLAIM = timedelta(minutes=10)

SUBJECTS = {
    NotificationKind.TICKET_CREATED: _("[%(reference)s] We have received your request"),
    NotificationKind.PUBLIC_REPLY: _("[%(reference)s] New reply: %(title)s"),
    NotificationKind.REQUESTER_REPLIED: _("[%(reference)s] The requester replied: %(title)s"),
    NotificationKind.STATUS_CHANGED: _("[%(reference)s] Your ticket is now %(status)s"),
    NotificationKind.ASSIGNED: _("[%(reference)s] Assigned to you: %(title)s"),
    NotificationKind.RAISED_TO_MANAGER: _("[%(reference)s] Raised to management: %(title)s"),
    NotificationKind.SLA_WARNING: _("[%(reference)s] SLA at risk: %(title)s"),
    NotificationKind.SLA_BREACH: _("[%(reference)s] SLA breached: %(title)s"),
}


def notification_enqueue(
    *,
    recipient: User,
    kind: str,
    ticket: Ticket | None,
    cause: str,
    context: dict[str, str] | None = None,
) -> Notification | None:
    """Write an outbox row (once per cause and recipient) and hand it to a worker on commit."""
    if not recipient.email or not recipient.is_active:
        return None
    notification, created = Notification.objects.get_or_create(
        dedupe_key=f"{kind}:{cause}:{recipient.pk}",
        defaults={
            "recipient": recipient,
            "kind": kind,
            "ticket": ticket,
            "context": context or {},
        },
    )
    if created:
        transaction.on_commit(lambda: _hand_to_worker(notification.pk))
    return notification


def _hand_to_worker(notification_id: int) -> None:
    # Imported here: tasks import this module.
    from notifications.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker is down: the outbox sweep delivers it later
        logger.warning(
            "broker unavailable; notification %s left for the outbox sweep", notification_id
        )


def _claim(*, notification_id: int) -> bool:
    """Compare-and-swap pending → sending, so only one worker ever sends a row."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENDING, claimed_at=now
    )
    if claimed:
        return True
    return bool(
        Notification.objects.filter(
            pk=notification_id, status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
        ).update(claimed_at=now)
    )


def render_notification(*, notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
    ticket = notification.ticket
    with translation.override(recipient.language):
        context = {
            "recipient": recipient,
            "ticket": ticket,
            "site_url": settings.SITE_URL,
            **notification.context,
        }
        subject_values = {
            "reference": ticket.reference if ticket else "",
            "title": ticket.title if ticket else "",
            "status": ticket.get_status_display() if ticket else "",
        }
        subject = str(SUBJECTS[NotificationKind(notification.kind)]) % subject_values
        text = render_to_string(f"emails/{notification.kind}.txt", context)
        html = render_to_string("emails/base.html", {**context, "body": text, "subject": subject})
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " "),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Message-ID": f"<notification-{notification.pk}@helpdesk>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_deliver(*, notification_id: int) -> bool:
    """Send one outbox row if nobody else has; True when this call sent it."""
    if not _claim(notification_id=notification_id):
        return False
    notification = Notification.objects.select_related("recipient", "ticket").get(
        pk=notification_id
    )
    try:
        render_notification(notification=notification).send()
    except Exception as exc:
        attempts = notification.attempts + 1
        Notification.objects.filter(pk=notification_id).update(
            status=DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING,
            attempts=attempts,
            last_error=str(exc)[:2000],
            claimed_at=None,
        )
        logger.warning("notification %s failed (attempt %s): %s", notification_id, attempts, exc)
        return False
    Notification.objects.filter(pk=notification_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=notification.attempts + 1
    )
    return True


def outbox_pending_ids(*, older_than: timedelta, limit: int = 500) -> list[int]:
    """Rows whose hand-off was lost (broker down, worker killed) and are due a retry."""
    now = timezone.now()
    return list(
        Notification.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
            created_at__lt=now - older_than,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
