from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class MajorIncident(models.Model):
    """A P1 with many affected users: one parent ticket, linked children, public status updates.

    Only the public_* fields and the updates' messages ever reach the status page and emails.
    """

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("parent ticket"),
        on_delete=models.PROTECT,
        related_name="major_incident",
    )
    public_title = models.CharField(_("public title (English)"), max_length=200)
    public_title_es = models.CharField(_("public title (Spanish)"), max_length=200, blank=True)
    public_summary = models.TextField(_("public summary (English)"), blank=True)
    public_summary_es = models.TextField(_("public summary (Spanish)"), blank=True)
    affected_services = models.CharField(
        _("affected services"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated, as the public status page shows them."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus, default=IncidentStatus.INVESTIGATING
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    next_update_due_at = models.DateTimeField(_("next update due at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        indexes = [
            # The status page: current ones, then the last 90 days by resolution.
            models.Index(fields=["resolved_at", "-started_at"], name="major_incident_page_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="major_incident_resolved_iff_resolved_at",
            )
        ]

    def __str__(self) -> str:
        return self.public_title

    @property
    def is_resolved(self) -> bool:
        return self.status == IncidentStatus.RESOLVED

    @property
    def title(self) -> str:
        """The public title in the active language."""
        if translation.get_language() == "es" and self.public_title_es:
            return self.public_title_es
        return self.public_title

    @property
    def summary(self) -> str:
        if translation.get_language() == "es" and self.public_summary_es:
            return self.public_summary_es
        return self.public_summary

    @property
    def services(self) -> list[str]:
        return [name.strip() for name in self.affected_services.split(",") if name.strip()]


class LinkOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved with the major incident")
    CLOSED_AS_DUPLICATE = "closed_duplicate", _("Closed as a duplicate of the major incident")
    UNCHANGED = "unchanged", _("Already resolved or closed")


class MajorIncidentLink(models.Model):
    """A ticket affected by a major incident; it follows the parent's resolution."""

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="links", db_index=False
    )
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="major_incident_link"
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    followed_at = models.DateTimeField(null=True, blank=True)
    follow_outcome = models.CharField(max_length=20, choices=LinkOutcome, blank=True)

    class Meta:
        ordering = ["ticket_id"]
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        indexes = [models.Index(fields=["major_incident", "ticket"], name="major_link_idx")]

    def __str__(self) -> str:
        return f"{self.major_incident_id} ← {self.ticket_id}"


class StatusUpdate(models.Model):
    """A public update: emailed to every linked requester and shown on the status page."""

    major_incident = models.ForeignKey(
        MajorIncident, on_delete=models.CASCADE, related_name="updates", db_index=False
    )
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus)
    message = models.TextField(_("message (English)"))
    message_es = models.TextField(_("message (Spanish)"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    next_update_due_at = models.DateTimeField(_("next update due at"), null=True, blank=True)
    # The overdue reminder claims the row by setting this (once per update).
    reminded_at = models.DateTimeField(null=True, blank=True)
    # A later update replaces this one's promise of a next update.
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        indexes = [
            models.Index(fields=["major_incident", "-created_at"], name="status_update_mi_idx"),
            # Shaped like the reminder sweep.
            models.Index(
                fields=["next_update_due_at"],
                name="status_update_due_idx",
                condition=Q(
                    reminded_at__isnull=True,
                    superseded_at__isnull=True,
                    next_update_due_at__isnull=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.major_incident_id}: {self.status}"

    @property
    def text(self) -> str:
        if translation.get_language() == "es" and self.message_es:
            return self.message_es
        return self.message
