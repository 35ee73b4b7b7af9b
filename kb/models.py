"""Knowledge-base articles and "related" links between tickets (learning from past incidents)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: requesters find it on the portal")
    INTERNAL = "internal", _("Internal: support staff only")


class Article(models.Model):
    """A how-to or known fix, written from scratch or promoted from a resolved ticket."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    language = models.CharField(
        _("language"), max_length=2, choices=Language, default=Language.ENGLISH
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility, default=Visibility.INTERNAL
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("promoted from ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kb_articles",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="kb_articles",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["visibility", "-updated_at"], name="kb_article_visibility_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        return f"KB-{self.pk or 0:05d}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class TicketLink(models.Model):
    """Two tickets marked as related (e.g. a new incident and the past one that solved it).

    Stored once, from the ticket where the agent clicked; read in both directions.
    """

    from_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="kb_links_out", db_index=False
    )
    to_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="kb_links_in"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("related tickets")
        verbose_name_plural = _("related tickets")
        constraints = [
            # The unique index also serves lookups by from_ticket.
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="kb_link_unique"),
            models.CheckConstraint(
                condition=~Q(from_ticket=F("to_ticket")), name="kb_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} ↔ {self.to_ticket_id}"
