from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OlaConfig(AppConfig):
    name = "ola"
    verbose_name = _("Operational levels")

    def ready(self) -> None:
        from helpdesk.config_cache import watch
        from ola.models import OlaTarget

        # The targets are kept per process (ola.selectors).
        watch(OlaTarget)
