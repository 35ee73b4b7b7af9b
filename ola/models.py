"""Operational level agreements: how long a ticket may stay in a tier before the tier takes it
and before it hands it on (docs/ola.md). The clocks share the SLA clocks' time columns and rules
(sla.engine), so the same arithmetic, pauses and recompute apply."""

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from escalation.models import Tier
from sla.models import OPEN_CLOCK_STATES, STOPPED_CLOCK_STATES, Calendar, ClockState
from tickets.models_choices import Priority


def target_order_error(*, take_within: timedelta | None, handoff_within: timedelta | None) -> str:
    """Why a target contradicts itself ("" if it does not): both clocks start when the ticket
    enters the tier, so a take time longer than the hand-off time (take within 2 h, hand on
    within 1 h) asks for the ticket to be handed on before anyone need take it. Equal is fine."""
    if take_within is not None and handoff_within is not None and take_within > handoff_within:
        return str(_("The take time cannot be longer than the hand-off time."))
    return ""


class OlaMetric(models.TextChoices):
    # Feminine in Spanish ("la toma", "la derivación"), as the clock states that follow them.
    TAKE = "take", pgettext_lazy("OLA clock", "Take")
    HANDOFF = "handoff", pgettext_lazy("OLA clock", "Hand-off")


class OlaTarget(models.Model):
    """Per tier and priority: take within, hand on (or resolve) within. Either may be empty."""

    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    take_within = models.DurationField(_("take within"), null=True, blank=True)
    handoff_within = models.DurationField(_("hand on within"), null=True, blank=True)
    calendar = models.ForeignKey(
        Calendar,
        verbose_name=_("business hours"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the clocks run 24×7."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier", "priority"]
        verbose_name = _("OLA target")
        verbose_name_plural = _("OLA targets")
        constraints = [
            models.UniqueConstraint(fields=["tier", "priority"], name="ola_target_unique"),
            models.CheckConstraint(
                condition=(Q(take_within__isnull=True) | Q(take_within__gt=timedelta(0)))
                & (Q(handoff_within__isnull=True) | Q(handoff_within__gt=timedelta(0)))
                & (Q(take_within__isnull=False) | Q(handoff_within__isnull=False)),
                name="ola_target_positive",
                # Shown in the admin form; Django's default names the constraint.
                violation_error_message=_(
                    "Give a time to take, a time to hand off, or both; each longer than zero."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.tier} P{self.priority}"

    def duration(self, metric: str) -> timedelta | None:
        return self.take_within if metric == OlaMetric.TAKE else self.handoff_within


class OlaClock(models.Model):
    """One OLA metric's clock for one stay of a ticket in a tier (`cycle` counts the stays).

    The time columns mean what SlaClock's do (`due_at` includes the pauses begun before it,
    etc.). `next_alert_at` is when the sweep must look for a breach: OLAs have no warnings.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="ola_clocks", db_index=False
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier)
    metric = models.CharField(_("metric"), max_length=10, choices=OlaMetric)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority)
    calendar = models.ForeignKey(
        Calendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"))
    target = models.DurationField(_("target"))
    paused = models.DurationField(_("paused time"), default=timedelta)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    pauses = models.JSONField(_("pauses"), default=list, blank=True)
    at_risk_at = models.DateTimeField(_("75 % at"))
    warning_at = models.DateTimeField(_("90 % at"))
    due_at = models.DateTimeField(_("due at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ClockState, default=ClockState.RUNNING
    )
    alert_level = models.PositiveSmallIntegerField(_("breach recorded"), default=0)
    next_alert_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("OLA clock")
        verbose_name_plural = _("OLA clocks")
        indexes = [
            models.Index(fields=["ticket", "id"], name="ola_clock_ticket_idx"),
            # The sweep: WHERE next_alert_at < now ORDER BY next_alert_at LIMIT n.
            models.Index(
                fields=["next_alert_at"],
                name="ola_clock_sweep_idx",
                condition=Q(next_alert_at__isnull=False),
            ),
            # The dashboard: verdicts decided in a period (met at stop, breached at due).
            models.Index(fields=["due_at"], name="ola_clock_due_idx"),
            models.Index(fields=["stopped_at"], name="ola_clock_stopped_idx"),
            # The breach forecast (sla.forecast): running clocks by due time.
            models.Index(
                fields=["due_at"],
                name="ola_clock_running_idx",
                condition=Q(state=ClockState.RUNNING),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "tier", "metric", "cycle"], name="ola_clock_unique_cycle"
            ),
            models.UniqueConstraint(
                fields=["ticket", "metric"],
                condition=Q(state__in=OPEN_CLOCK_STATES),
                name="ola_clock_one_open_per_metric",
            ),
            models.CheckConstraint(
                condition=Q(state__in=OPEN_CLOCK_STATES, stopped_at__isnull=True)
                | Q(state__in=STOPPED_CLOCK_STATES, stopped_at__isnull=False),
                name="ola_clock_stopped_iff_final",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} L{self.tier} {self.metric} #{self.cycle} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CLOCK_STATES


class OlaEvent(models.Model):
    """A breach of an OLA clock, recorded once (the unique constraint) by the sweep; its
    effects (timeline entry, the tier leads' notifications) are applied in the transaction that
    sets `applied_at`."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint's index starts with the ticket
        db_constraint=False,  # as SlaEvent: no KEY SHARE lock on the ticket from the sweep
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier)
    metric = models.CharField(_("metric"), max_length=10, choices=OlaMetric)
    cycle = models.PositiveSmallIntegerField(_("cycle"))
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    applied_at = models.DateTimeField(_("effects applied at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("OLA breach")
        verbose_name_plural = _("OLA breaches")
        indexes = [
            models.Index(
                fields=["id"], name="ola_event_pending_idx", condition=Q(applied_at__isnull=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "tier", "metric", "cycle"], name="ola_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} L{self.tier} {self.metric} #{self.cycle} breach"
