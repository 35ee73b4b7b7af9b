from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a periodic job last finished, by name: the readiness probe and /metrics read it.

    One row per job, overwritten on each run (one upsert), so it costs nothing to keep.
    """

    name = models.CharField(_("name"), max_length=60, primary_key=True)
    at = models.DateTimeField(_("last finished at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"
