from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    SLACK = "slack", _("Slack (incoming webhook)")
    TEAMS = "teams", _("Microsoft Teams (Workflows webhook)")
    MATRIX = "matrix", _("Matrix (room message)")


class ChatEvent(models.TextChoices):
    """What a channel can subscribe to (and `test`, the manager's test message)."""

    HIGH_PRIORITY = "high_priority", _("New P1/P2 ticket")
    ESCALATED = "escalated", _("Ticket escalated to the group")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breach")
    MAJOR_INCIDENT_DECLARED = "major_incident_declared", _("Major incident declared")
    MAJOR_INCIDENT_UPDATED = "major_incident_updated", _("Major incident updated")
    TEST = "test", _("Test message")


SUBSCRIBABLE_EVENTS = [choice for choice in ChatEvent.choices if choice[0] != ChatEvent.TEST]


class ChatChannel(models.Model):
    """A chat room a support group hears of its tickets' events in.

    The secret — the webhook URL for Slack and Teams (the URL is the credential), the access
    token for Matrix — is stored encrypted (chat.crypto) and only its last four characters are
    ever shown again.
    """

    name = models.CharField(_("name"), max_length=120)
    support_group = models.ForeignKey(
        "escalation.SupportGroup",
        verbose_name=_("support group"),
        on_delete=models.CASCADE,
        related_name="chat_channels",
    )
    platform = models.CharField(_("platform"), max_length=10, choices=Platform)
    # Matrix only: where the room lives (not secret).
    homeserver = models.CharField(_("homeserver URL"), max_length=200, blank=True)
    room_id = models.CharField(_("room ID"), max_length=255, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_last4 = models.CharField(max_length=4, editable=False)
    events = models.JSONField(_("events"), default=list, blank=True)
    language = models.CharField(
        _("message language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["support_group__tier", "support_group__name", "name"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        constraints = [
            # One name, one channel (whatever the case or the group): two "Ops alerts" were
            # told apart nowhere — the deliveries, the admin and the test button name a channel
            # by its name only. chat.services refuses a duplicate with a message first.
            models.UniqueConstraint(
                Lower("name"),
                name="chat_channel_unique_name",
                violation_error_message=_("There is already a chat channel with that name."),
            ),
            models.CheckConstraint(
                condition=Q(platform__in=["slack", "teams", "matrix"]),
                name="chat_channel_platform_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def secret_hint(self) -> str:
        return f"••••{self.secret_last4}" if self.secret_last4 else ""


class ChatDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ChatDelivery(models.Model):
    """The chat outbox: one row per channel and event, written in the cause's transaction."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=ChatEvent)
    # What caused it ("sla-event:12", "event:34", …): unique per channel, so exactly once.
    event_key = models.CharField(max_length=200)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Ids and short values only; the message is built at send time, in the channel's language.
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=ChatDeliveryStatus, default=ChatDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("chat delivery")
        verbose_name_plural = _("chat deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "event_key"], name="chat_delivery_once_per_channel"
            )
        ]
        indexes = [
            # The flush reads only undelivered rows.
            models.Index(
                fields=["created_at"],
                name="chat_delivery_undelivered_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel_id} ({self.status})"
