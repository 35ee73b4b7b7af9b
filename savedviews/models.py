"""An agent's named console filters, private or shared with one of their support groups."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from escalation.models import SupportGroup


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Only me")
    GROUP = "group", _("My group")


class SavedView(models.Model):
    """The console's filters and sort as a canonical query string
    (`tickets.views.console_queue.QueueParams`).

    Shared when `group` is set: every member of that group lists it; only the owner changes it.
    A deleted group leaves the view private to its owner (SET_NULL), never deletes it.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    group = models.ForeignKey(
        SupportGroup,
        verbose_name=_("shared with"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="saved_views",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint("owner", Lower("name"), name="savedview_name_unique_per_owner"),
            models.CheckConstraint(condition=~models.Q(name=""), name="savedview_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def visibility(self) -> str:
        return Visibility.GROUP if self.group_id else Visibility.PRIVATE


class DefaultView(models.Model):
    """The view the bare console opens for one user: one row per user at most (the primary
    key), any view they can read (their own or one shared with their group)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="default_view",
    )
    view = models.ForeignKey(
        SavedView, verbose_name=_("view"), on_delete=models.CASCADE, related_name="defaults"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("default view")
        verbose_name_plural = _("default views")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.view_id}"
