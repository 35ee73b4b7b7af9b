from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket received")
    PUBLIC_REPLY = "public_reply", _("Reply from support")
    REQUESTER_REPLIED = "requester_replied", _("Requester replied")
    STATUS_CHANGED = "status_changed", _("Ticket status changed")
    ASSIGNED = "assigned", _("Ticket assigned to you")
    RAISED_TO_MANAGER = "raised_to_manager", _("Ticket raised to management")
    SLA_WARNING = "sla_warning", _("SLA target at risk")
    SLA_BREACH = "sla_breach", _("SLA target breached")


def notification_kinds() -> list[tuple[str, Any]]:
    # A callable: adding a kind needs no migration.
    return NotificationKind.choices


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """The outbox: written in the same transaction as its cause, delivered once after commit."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=notification_kinds)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    context = models.JSONField(default=dict, blank=True)
    # What caused it (e.g. "comment:12"): a second enqueue of the same cause is a no-op.
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The outbox sweep reads only undelivered rows.
            models.Index(
                fields=["created_at"],
                name="notification_undelivered_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.status})"
