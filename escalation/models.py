import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models_choices import Kind, Priority


class Tier(models.IntegerChoices):
    L1 = 1, _("L1 service desk")
    L2 = 2, _("L2 technical")
    L3 = 3, _("L3 experts")


class SupportGroup(models.Model):
    """A team of agents at one tier. An agent may belong to several groups."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier, db_index=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_groups",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        related_name="support_groups",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier", "name"]
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_tier_display()})"


class OnCallShift(models.Model):
    """One agent on call for a tier between two instants (the L3 rota)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="oncall_shifts",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier, default=Tier.L3)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call shifts")
        indexes = [
            # Shaped like oncall_agents: a tier, shifts that started, then the end bound.
            models.Index(fields=["tier", "starts_at", "ends_at"], name="oncall_tier_time_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="oncall_shift_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


# The highest position of a routing rule or an SLA policy (their order): the pages, the API and
# the admin refuse more alike, on PostgreSQL and on SQLite (whose column would take 2**63).
POSITION_MAX = 1_000_000


class RoutingRule(models.Model):
    """Send matching new tickets to a tier or a group. Rules are evaluated by position, first
    match wins; empty conditions match anything (see escalation.rules)."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(
        _("position"), default=100, validators=[MaxValueValidator(POSITION_MAX)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A top category also matches its subcategories."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        blank=True,
        choices=Kind,
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        null=True,
        blank=True,
        choices=Priority,
    )
    target_tier = models.PositiveSmallIntegerField(_("target tier"), choices=Tier)
    target_group = models.ForeignKey(
        SupportGroup,
        verbose_name=_("target group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_tier__gte=1, target_tier__lte=3),
                name="routing_rule_tier_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CallMedium(models.TextChoices):
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


class CallStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


def _new_call_uid() -> str:
    return f"{uuid.uuid4()}@helpdesk"


class ScheduledCall(models.Model):
    """A phone or video call an L2/L3 agent books with the requester (sent as an .ics invite)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="calls", db_index=False
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_calls",
    )
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    medium = models.CharField(_("medium"), max_length=10, choices=CallMedium)
    link_or_number = models.CharField(_("meeting link or phone number"), max_length=500)
    notes = models.TextField(_("internal notes"), blank=True)
    uid = models.CharField(max_length=100, unique=True, default=_new_call_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=CallStatus, default=CallStatus.SCHEDULED
    )
    hold_until_call = models.BooleanField(
        _("hold the ticket until the call"),
        default=False,
        help_text=_("The ticket waits on the requester (SLA paused) until the call starts."),
    )
    # Set once, by whoever releases the hold (the beat task at call time, or a cancellation).
    hold_released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("scheduled call")
        verbose_name_plural = _("scheduled calls")
        indexes = [
            models.Index(fields=["ticket", "starts_at"], name="call_ticket_time_idx"),
            # Shaped like the resume sweep: held calls whose hold is not yet released.
            models.Index(
                fields=["starts_at"],
                name="call_hold_due_idx",
                condition=models.Q(
                    status="scheduled", hold_until_call=True, hold_released_at__isnull=True
                ),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="call_duration_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_medium_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == CallStatus.CANCELLED
