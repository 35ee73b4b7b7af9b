from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CannedResponse(models.Model):
    """A reusable reply. The body may use {requester_name}, {ticket_reference} and {agent_name}."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("body"),
        help_text=_("Placeholders: {requester_name}, {ticket_reference}, {agent_name}."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        indexes = [models.Index(fields=["language", "is_active"], name="canned_lang_active_idx")]

    def __str__(self) -> str:
        return self.title
