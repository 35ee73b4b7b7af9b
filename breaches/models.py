"""The data-breach register (GDPR art. 33/34): breaches, their clock, notifications and history."""

import secrets
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GDPR art. 33(1): notify the supervisory authority within 72 calendar hours of becoming aware.
NOTIFICATION_WINDOW = timedelta(hours=72)
# Warnings before the deadline, then the deadline itself; each recorded once per breach.
CLOCK_THRESHOLDS = (24, 48, 60, 72)
DEADLINE_HOURS = 72


class BreachStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RiskLevel(models.TextChoices):
    NONE = "none", _("Unlikely to result in a risk")
    RISK = "risk", _("Risk")
    HIGH = "high", _("High risk")


class AuthorityDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    NOTIFIED = "notified", _("Notified to the supervisory authority")
    NOT_NOTIFIED = "not_notified", _("Decided not to notify")


class SubjectsDecision(models.TextChoices):
    PENDING = "pending", _("Not decided yet")
    COMMUNICATE = "communicate", _("Tell the people affected")
    NOT_REQUIRED = "not_required", _("Not required (no high risk)")
    EXEMPT = "exempt", _("Exempt under art. 34(3)")


class SubjectsExemption(models.TextChoices):
    ENCRYPTED = "encrypted", _("Art. 34(3)(a): data unintelligible (e.g. encrypted)")
    MEASURES = "measures", _("Art. 34(3)(b): later measures remove the high risk")
    DISPROPORTIONATE = (
        "disproportionate",
        _("Art. 34(3)(c): disproportionate effort, public communication instead"),
    )


class NotificationPhase(models.TextChoices):
    INITIAL = "initial", _("Initial notification")
    FOLLOW_UP = "follow_up", _("Follow-up (phased) information")


# The fields a security officer edits through `breach_update`; each change is audited.
EDITABLE_FIELDS = [
    "title",
    "status",
    "occurred_at",
    "detected_at",
    "aware_at",
    "is_confidentiality",
    "is_integrity",
    "is_availability",
    "description",
    "subject_categories",
    "subjects_approx",
    "data_categories",
    "records_approx",
    "special_categories",
    "likely_consequences",
    "risk_level",
    "risk_reasoning",
    "containment_measures",
    "remedial_measures",
    "dpo_contact",
    "processor_involved",
]


class Breach(models.Model):
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=BreachStatus, default=BreachStatus.OPEN
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # --- timeline -------------------------------------------------------------------------------
    occurred_at = models.DateTimeField(_("breach occurred at"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected at"), null=True, blank=True)
    aware_at = models.DateTimeField(
        _("became aware at"), help_text=_("Starts the 72-hour clock (GDPR art. 33).")
    )
    # --- nature: several may apply ---------------------------------------------------------------
    is_confidentiality = models.BooleanField(_("confidentiality breach"), default=False)
    is_integrity = models.BooleanField(_("integrity breach"), default=False)
    is_availability = models.BooleanField(_("availability breach"), default=False)
    description = models.TextField(_("description"), blank=True)
    # --- who and what is affected --------------------------------------------------------------
    subject_categories = models.TextField(_("categories of people affected"), blank=True)
    subjects_approx = models.PositiveIntegerField(
        _("approximate number of people affected"), null=True, blank=True
    )
    data_categories = models.TextField(_("categories of personal data records"), blank=True)
    records_approx = models.PositiveIntegerField(
        _("approximate number of records affected"), null=True, blank=True
    )
    special_categories = models.TextField(
        _("special categories of data (art. 9 and 10)"), blank=True
    )
    likely_consequences = models.TextField(_("likely consequences"), blank=True)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel, blank=True)
    risk_reasoning = models.TextField(_("risk reasoning"), blank=True)
    containment_measures = models.TextField(_("containment measures"), blank=True)
    remedial_measures = models.TextField(_("remedial measures"), blank=True)
    dpo_contact = models.TextField(_("DPO contact"), blank=True)
    processor_involved = models.TextField(_("processor involved"), blank=True)
    tickets = models.ManyToManyField(
        "tickets.Ticket", verbose_name=_("linked tickets"), related_name="breaches", blank=True
    )
    # --- the 72-hour clock -----------------------------------------------------------------------
    notify_due_at = models.DateTimeField(_("notify the authority by"))
    # The next threshold the sweep looks for; empty once the clock stopped or all passed.
    clock_next_at = models.DateTimeField(null=True, blank=True, editable=False)
    clock_level = models.PositiveSmallIntegerField(
        _("last clock threshold (hours)"), default=0, editable=False
    )
    clock_stopped_at = models.DateTimeField(_("clock stopped at"), null=True, blank=True)
    # --- art. 33: the authority ------------------------------------------------------------------
    authority_decision = models.CharField(
        _("authority notification"),
        max_length=20,
        choices=AuthorityDecision,
        default=AuthorityDecision.PENDING,
    )
    authority_decision_reason = models.TextField(_("why not notify"), blank=True)
    late_reason = models.TextField(_("reasons for the delay"), blank=True)
    # --- art. 34: the people affected ------------------------------------------------------------
    subjects_decision = models.CharField(
        _("telling the people affected"),
        max_length=20,
        choices=SubjectsDecision,
        default=SubjectsDecision.PENDING,
    )
    subjects_exemption = models.CharField(
        _("exemption used"), max_length=20, choices=SubjectsExemption, blank=True
    )
    subjects_decision_reason = models.TextField(_("reasoning of the decision"), blank=True)
    subjects_communicated_at = models.DateTimeField(
        _("people affected told at"), null=True, blank=True
    )
    subjects_communication = models.TextField(
        _("how and what the people affected were told"), blank=True
    )

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("data breach")
        verbose_name_plural = _("data breaches")
        indexes = [
            # Shaped like the sweep: running clocks whose next threshold is due.
            models.Index(
                fields=["clock_next_at"],
                name="breach_clock_due_idx",
                condition=Q(clock_next_at__isnull=False),
            ),
            models.Index(fields=["notify_due_at"], name="breach_notify_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_level__in=["", "none", "risk", "high"]),
                name="breach_risk_level_valid",
            ),
            models.CheckConstraint(
                condition=~Q(authority_decision="not_notified") | ~Q(authority_decision_reason=""),
                name="breach_not_notified_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"BRE-{self.pk or 0:06d}"

    @property
    def nature_labels(self) -> list[str]:
        labels = []
        if self.is_confidentiality:
            labels.append(str(_("confidentiality")))
        if self.is_integrity:
            labels.append(str(_("integrity")))
        if self.is_availability:
            labels.append(str(_("availability")))
        return labels

    @property
    def clock_running(self) -> bool:
        return self.clock_stopped_at is None

    def is_overdue(self, *, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        end = self.clock_stopped_at or now
        return end > self.notify_due_at


class AuthorityNotification(models.Model):
    """One notification to the supervisory authority; follow-ups (art. 33(4)) are more rows."""

    breach = models.ForeignKey(
        Breach, on_delete=models.PROTECT, related_name="authority_notifications"
    )
    phase = models.CharField(_("phase"), max_length=20, choices=NotificationPhase)
    notified_at = models.DateTimeField(_("notified at"))
    authority = models.CharField(_("authority"), max_length=200, default="AEPD")
    reference = models.CharField(_("authority reference"), max_length=100, blank=True)
    summary = models.TextField(_("what was communicated"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notified_at", "id"]
        verbose_name = _("authority notification")
        verbose_name_plural = _("authority notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["breach"],
                condition=Q(phase="initial"),
                name="breach_one_initial_notification",
            )
        ]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.phase} {self.notified_at:%Y-%m-%d %H:%M}"


class BreachClockEvent(models.Model):
    """A threshold of the 72-hour clock that passed: recorded (and notified) exactly once."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="clock_events")
    threshold_hours = models.PositiveSmallIntegerField(_("threshold (hours)"))
    due_at = models.DateTimeField(_("threshold time"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["breach", "threshold_hours"]
        verbose_name = _("breach clock event")
        verbose_name_plural = _("breach clock events")
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "threshold_hours"], name="breach_clock_threshold_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.threshold_hours} h"

    @property
    def is_deadline(self) -> bool:
        return self.threshold_hours >= DEADLINE_HOURS


class BreachNote(models.Model):
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("breach note")
        verbose_name_plural = _("breach notes")

    def __str__(self) -> str:
        return f"{self.breach_id}: {self.body[:40]}"


def _evidence_path(instance: "BreachAttachment", filename: str) -> str:
    return f"breaches/{instance.breach_id}/{secrets.token_hex(8)}/{PurePath(filename).name}"


class BreachAttachment(models.Model):
    """Evidence; only downloaded through the access-checked view, never from MEDIA_URL."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.filename


class AuditAction(models.TextChoices):
    CREATED = "created", _("Created")
    FLAGGED = "flagged", _("Flagged from a ticket")
    UPDATED = "updated", _("Updated")
    TICKET_LINKED = "ticket_linked", _("Ticket linked")
    TICKET_UNLINKED = "ticket_unlinked", _("Ticket unlinked")
    NOTE_ADDED = "note_added", _("Note added")
    EVIDENCE_ADDED = "evidence_added", _("Evidence added")
    AUTHORITY_NOTIFIED = "authority_notified", _("Authority notified")
    AUTHORITY_FOLLOW_UP = "authority_follow_up", _("Follow-up sent to the authority")
    NOT_NOTIFYING = "not_notifying", _("Decided not to notify the authority")
    SUBJECTS_DECISION = "subjects_decision", _("Decision on telling the people affected")
    SUBJECTS_TOLD = "subjects_told", _("People affected told")
    CLOCK = "clock", _("Clock threshold passed")


class BreachAuditEntry(models.Model):
    """Append-only history: who, when, what (field → [old, new]). Written only by the services."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system acted (the clock sweep)."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=30, choices=AuditAction)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("breach audit entry")
        verbose_name_plural = _("breach audit history")
        indexes = [models.Index(fields=["breach", "created_at"], name="breach_audit_time_idx")]

    def __str__(self) -> str:
        return f"{self.breach_id} {self.action} {self.created_at:%Y-%m-%d %H:%M}"
