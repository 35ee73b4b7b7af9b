from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role


class NotificationKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket received")
    PUBLIC_REPLY = "public_reply", _("Reply from support")
    # Communication (issue 7): kept apart from the kinds other apps append at the end.
    ESCALATED_TO_TIER = "escalated_to_tier", _("Ticket escalated to your tier")
    MAJOR_INCIDENT_UPDATE = "major_incident_update", _("Major incident update")
    MAJOR_INCIDENT_OVERDUE = "major_incident_overdue", _("Major incident update overdue")
    REQUESTER_REPLIED = "requester_replied", _("Requester replied")
    STATUS_CHANGED = "status_changed", _("Ticket status changed")
    ASSIGNED = "assigned", _("Ticket assigned to you")
    RAISED_TO_MANAGER = "raised_to_manager", _("Ticket raised to management")
    ONCALL_PAGE = "oncall_page", _("On-call page")
    CALL_INVITATION = "call_invitation", _("Call invitation")
    CALL_CANCELLED = "call_cancelled", _("Call cancelled")
    BREACH_FLAGGED = "breach_flagged", _("Suspected data breach flagged")
    BREACH_CLOCK_WARNING = (
        "breach_clock_warning",
        _("Data-breach notification deadline approaching"),
    )
    BREACH_CLOCK_OVERDUE = "breach_clock_overdue", _("Data-breach notification deadline passed")
    SLA_WARNING = "sla_warning", _("SLA target at risk")
    SLA_BREACH = "sla_breach", _("SLA target breached")
    CSAT_REQUEST = "csat_request", _("How did we do? (satisfaction survey)")
    # Account emails (issue 17): a link to choose a password; never about a ticket.
    PASSWORD_RESET = "password_reset", _("Password reset link")
    SIGN_UP = "sign_up", _("Confirm your address and choose a password")
    ACCOUNT_EXISTS = "account_exists", _("Sign-up with an address that already has an account")
    PASSWORD_CHANGED = "password_changed", _("Your password was changed")
    # Issue 17: a renewed tracking link; the link to claim guest tickets sent under one's address.
    TRACKING_LINK = "tracking_link", _("Your new tracking link")
    GUEST_CLAIM = "guest_claim", _("Requests sent under your address")
    # Issue 21: another requester's duplicate was merged into your ticket.
    TICKET_MERGED = "ticket_merged", _("A duplicate was merged into your ticket")
    # Issue 21 item 5: an agent named you (@username) in an internal note.
    MENTIONED = "mentioned", _("You were mentioned in a note")
    # Issue 22: a tier missed its operational level target (the tier's group leads hear of it).
    OLA_BREACH = "ola_breach", _("OLA target of your tier breached")


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
    # After a failed send: not retried before this time (exponential backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

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


class NotificationPreference(models.Model):
    """What a user has chosen not to be emailed about (see notifications.preferences)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    # A list of NotificationKind values; JSON keeps it portable to SQLite (the embedded mode).
    muted_kinds = models.JSONField(_("muted kinds"), default=list, blank=True)
    # The same, for the bell (in-app channel); every in-app kind can be muted there.
    muted_in_app_kinds = models.JSONField(_("muted in-app kinds"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.muted_kinds) or '-'}"


class InAppNotification(models.Model):
    """The bell: one row per event and recipient, written by the same enqueue call (and the
    same statement) as the email's outbox row, per the recipient's in-app preferences."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    kind = models.CharField(max_length=40, choices=notification_kinds)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="in_app_notifications",
    )
    # The outbox's dedupe key format (kind:cause:recipient): a second enqueue is a no-op.
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")
        indexes = [
            # The bell's unread count, polled by every open page.
            models.Index(
                fields=["recipient"],
                name="in_app_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="in_app_recent_idx"),
            # The retention purge reads old read rows.
            models.Index(fields=["read_at"], name="in_app_read_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


# Kinds nobody can mute (decided in issue 7, documented in docs/communication.md):
# - the acknowledgement is the requester's proof that the request arrived and carries the
#   tracking link, the only way in for someone who wrote by email;
# - status changes carry the resolution with its confirm / reopen links (a resolved ticket
#   closes by itself after HELPDESK_AUTO_CLOSE_DAYS) and "waiting on you" requests;
# - an on-call page and a call invitation or cancellation (kinds of the escalation app) are an
#   appointment with a person, not a courtesy copy.
UNMUTABLE_KINDS = frozenset(
    {
        NotificationKind.TICKET_CREATED.value,
        NotificationKind.STATUS_CHANGED.value,
        "oncall_page",
        "call_invitation",
        "call_cancelled",
        # Account emails answer the person's own request; muting them would lock them out.
        NotificationKind.PASSWORD_RESET.value,
        NotificationKind.SIGN_UP.value,
        NotificationKind.ACCOUNT_EXISTS.value,
        NotificationKind.PASSWORD_CHANGED.value,
        # Security emails: the only way back to a ticket, or to one's own requests.
        NotificationKind.TRACKING_LINK.value,
        NotificationKind.GUEST_CLAIM.value,
        # The security officers are the only ones told of a suspected breach and of its
        # notification deadline: muted, nobody would be. (Their page never offered these, so
        # they could not be muted before either; now it shows them, locked.)
        NotificationKind.BREACH_FLAGGED.value,
        NotificationKind.BREACH_CLOCK_WARNING.value,
        NotificationKind.BREACH_CLOCK_OVERDUE.value,
    }
)
# What a requester can be sent about their tickets (and the guest-claim link); with the account
# emails, their preferences page (KINDS_BY_ROLE).
REQUESTER_KINDS = frozenset(
    {
        NotificationKind.TICKET_CREATED.value,
        NotificationKind.PUBLIC_REPLY.value,
        NotificationKind.STATUS_CHANGED.value,
        NotificationKind.TICKET_MERGED.value,
        NotificationKind.MAJOR_INCIDENT_UPDATE.value,
        "call_invitation",
        "call_cancelled",
        NotificationKind.TRACKING_LINK.value,
        NotificationKind.GUEST_CLAIM.value,
        # A survey is a request of ours: the one who gets it may turn it off.
        NotificationKind.CSAT_REQUEST.value,
    }
)

# Kinds that reach the bell too. Not the account and security emails (they carry one-time links
# and answer someone who may not be signed in) nor the acknowledgement of one's own new request.
IN_APP_KINDS = frozenset(
    {
        kind.value
        for kind in NotificationKind
        if kind
        not in {
            NotificationKind.TICKET_CREATED,
            NotificationKind.PASSWORD_RESET,
            NotificationKind.SIGN_UP,
            NotificationKind.ACCOUNT_EXISTS,
            NotificationKind.PASSWORD_CHANGED,
            NotificationKind.TRACKING_LINK,
            NotificationKind.GUEST_CLAIM,
        }
    }
)


# --- who can receive what (the preferences page shows each user only these) ----------------------

# Anyone signed in may file a ticket (the portal's /new/ is open to every role, the API to
# requesters and agents), and the requester of a ticket hears of it whatever their role.
TICKET_REQUESTER_KINDS = frozenset(REQUESTER_KINDS - {NotificationKind.GUEST_CLAIM.value})
# Account emails answer a request for a link, or say a password changed: any account.
ACCOUNT_KINDS = frozenset(
    {
        NotificationKind.PASSWORD_RESET.value,
        NotificationKind.SIGN_UP.value,
        NotificationKind.ACCOUNT_EXISTS.value,
        NotificationKind.PASSWORD_CHANGED.value,
    }
)
# Sent to agents only: assignees, tier members, group leads and incident owners are agents
# (tickets.services, escalation.services.support_group_check, incidents.services), on-call pages
# go to agents on the rota or the L3 leads.
AGENT_KINDS = frozenset(
    {
        NotificationKind.ESCALATED_TO_TIER.value,
        NotificationKind.REQUESTER_REPLIED.value,
        NotificationKind.ASSIGNED.value,
        NotificationKind.RAISED_TO_MANAGER.value,  # the tier's group leads
        NotificationKind.ONCALL_PAGE.value,
        NotificationKind.SLA_WARNING.value,
        NotificationKind.SLA_BREACH.value,
        NotificationKind.MAJOR_INCIDENT_OVERDUE.value,
        NotificationKind.MENTIONED.value,
        NotificationKind.OLA_BREACH.value,
    }
)
# Managers hear of hierarchical escalations and of the notes that name them.
MANAGER_KINDS = frozenset(
    {NotificationKind.RAISED_TO_MANAGER.value, NotificationKind.MENTIONED.value}
)
# The data-breach emails go to the security officers only (breaches.services.security_officers).
SECURITY_OFFICER_KINDS = frozenset(
    {
        NotificationKind.BREACH_FLAGGED.value,
        NotificationKind.BREACH_CLOCK_WARNING.value,
        NotificationKind.BREACH_CLOCK_OVERDUE.value,
    }
)
# Per role, every kind its users can be sent. A requester's guest-claim email is for requester
# accounts only (tickets.guests.guest_tickets_for). The account emails reach every role and are
# listed, locked, on every page: a requester's page left them out, the one role told "some
# emails are always sent" without being shown which.
KINDS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.REQUESTER: REQUESTER_KINDS | ACCOUNT_KINDS,
    Role.AGENT: TICKET_REQUESTER_KINDS | ACCOUNT_KINDS | AGENT_KINDS,
    Role.MANAGER: TICKET_REQUESTER_KINDS | ACCOUNT_KINDS | MANAGER_KINDS,
    Role.SECURITY_OFFICER: TICKET_REQUESTER_KINDS | ACCOUNT_KINDS | SECURITY_OFFICER_KINDS,
}
