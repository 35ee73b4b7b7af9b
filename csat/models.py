"""Customer satisfaction: one survey per closed ticket, answered once by its requester."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.models import Tier

RATINGS = range(1, 6)


def _new_nonce() -> str:
    return secrets.token_hex(8)


class SatisfactionSurvey(models.Model):
    """Asked when a ticket closes. Tier, category and agent are copied at that moment, so the
    reports show who and what was rated even if the ticket's data changes later."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="csat_survey",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="csat_surveys",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Part of the signed link: a new nonce would invalidate links already sent.
    nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        indexes = [
            # The reports read answered surveys by answer time.
            models.Index(
                fields=["answered_at"],
                name="csat_answered_idx",
                condition=Q(answered_at__isnull=False),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="csat_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True, answered_at__isnull=True)
                | Q(rating__isnull=False, answered_at__isnull=False),
                name="csat_answered_with_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.rating or '-'}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
