"""One row per idempotency key: a form render's hidden key, or an API client's
`Idempotency-Key` header. The unique constraint is what makes a second submission of the same
key a no-op (forms) or a replay of the first answer (API)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyKind(models.TextChoices):
    FORM = "form", _("Web form")
    API = "api", _("API request")


class KeyState(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")


class IdempotencyKey(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=KeyKind)
    # Who may reuse the key: "user:<id>" or, for anonymous visitors, "anon:<address hash>".
    owner = models.CharField(_("owner"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    # API: SHA-256 of the method, path, query and body; the same key with another body is a 422.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=KeyState, default=KeyState.PROCESSING
    )
    # Forms: where the first submission led (the duplicate is sent there too).
    result_url = models.CharField(_("result"), max_length=2000, blank=True)
    # API: the first answer, replayed to a retry.
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "owner", "key"], name="idempotency_key_unique_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.owner} {self.key}"
