from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
