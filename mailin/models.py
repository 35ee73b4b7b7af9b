from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket created")
    COMMENT_ADDED = "comment_added", _("Reply added to a ticket")
    IGNORED = "ignored", _("Ignored (automatic reply, bounce or loop)")
    FAILED = "failed", _("Failed (moved aside)")


class InboundMessage(models.Model):
    """One row per email the mailbox poller handled: its Message-ID makes processing once-only."""

    # The Message-ID header, or "sha256:<digest>" of a long one or of the raw message without one.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome)
    reason = models.TextField(_("reason"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        verbose_name=_("comment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("processed at"), default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        indexes = [models.Index(fields=["outcome", "-id"], name="inbound_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"
