"""Monitoring integrations: who may raise incidents, how alerts map to them, what was seen."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from integrations.rules import pattern_error
from tickets.models import Category, Level, Ticket


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager webhook")
    EVENTS_V2 = "events_v2", _("Generic events (PagerDuty Events API v2 shape)")


class Integration(models.Model):
    """One monitoring system allowed to raise incidents, with its own secret token.

    Only a SHA-256 hash of the token is stored; `token_id` (the part before the dot) finds the
    row and the hash is compared in constant time. Incidents are requested by `service_account`,
    an inactive user without a password: it exists to own the incidents, never to sign in.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=IntegrationKind)
    is_active = models.BooleanField(_("active"), default=True)
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="integration",
        editable=False,
    )
    default_category = models.ForeignKey(
        Category,
        verbose_name=_("default category"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"is_active": True},
        help_text=_("Used when no mapping rule sets a category."),
    )
    default_impact = models.CharField(
        _("default impact"), max_length=10, choices=Level, default=Level.MEDIUM
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=10, choices=Level, default=Level.MEDIUM
    )
    flap_window_minutes = models.PositiveIntegerField(
        _("flapping window (minutes)"),
        default=30,
        help_text=_(
            "An alert that fires again within this many minutes of its recovery is a flap: "
            "it goes back to the same incident instead of opening a new one. 0 turns this off."
        ),
    )
    token_id = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    token_rotated_at = models.DateTimeField(_("token set at"), null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return self.name


class AlertRule(models.Model):
    """Maps an alert's labels to a category, impact and urgency.

    Rules are evaluated in `position` order; a rule matches when the label's value fully matches
    the pattern (a regular expression, like Alertmanager's `=~`). Each field (category, impact,
    urgency) is taken from the first matching rule that sets it; unset fields fall back to the
    integration's defaults. See integrations.rules.
    """

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        help_text=_("Empty: the rule applies to every integration."),
    )
    position = models.PositiveIntegerField(_("position"), default=100)
    label = models.CharField(_("label"), max_length=100, help_text=_("e.g. severity, service"))
    pattern = models.CharField(
        _("value pattern"),
        max_length=200,
        help_text=_("A regular expression the whole value must match, e.g. critical|page"),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_active": True},
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("alert mapping rule")
        verbose_name_plural = _("alert mapping rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(category=None, impact="", urgency=""),
                name="alertrule_sets_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}=~{self.pattern}"

    def clean(self) -> None:
        error = pattern_error(self.pattern)
        if error:
            raise ValidationError({"pattern": error})
        if self.category_id is None and not self.impact and not self.urgency:
            raise ValidationError(_("A rule must set a category, an impact or an urgency."))


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class MonitoredAlert(models.Model):
    """One firing of one alert: (integration, fingerprint, starts_at) is its identity.

    Repeats of the same firing only bump `fire_count` / `last_seen_at`. A new firing after a
    recovery is a new row whose `previous` is the old one; within the flapping window it shares
    the old row's ticket and `flap_count` grows, otherwise it has a new incident.
    """

    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, related_name="alerts", db_index=False
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=255)
    starts_at = models.DateTimeField(_("started at"))
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="alerts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus, default=AlertStatus.FIRING
    )
    fire_count = models.PositiveIntegerField(_("times notified firing"), default=1)
    last_seen_at = models.DateTimeField(_("last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous firing"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_firings",
    )
    flap_count = models.PositiveIntegerField(_("flaps"), default=0)
    labels = models.JSONField(_("labels"), default=dict, blank=True)
    generator_url = models.URLField(_("source link"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("monitored alert")
        verbose_name_plural = _("monitored alerts")
        constraints = [
            # Also the index of "the latest firing of this fingerprint" (scanned backwards).
            models.UniqueConstraint(
                fields=["integration", "fingerprint", "starts_at"],
                name="monitoredalert_unique_firing",
            ),
            models.CheckConstraint(
                condition=Q(status="firing", resolved_at=None)
                | Q(status="resolved", resolved_at__isnull=False),
                name="monitoredalert_resolved_at_iff_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} @ {self.starts_at:%Y-%m-%d %H:%M:%S}"
