from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OlaConfig(AppConfig):
    name = "ola"
    verbose_name = _("Operational levels")

    def ready(self) -> None:
        from helpdesk.config_cache import watch
        from ola.models import OlaTarget
        from ola.services import ola_clocks_sync
        from tickets import hooks

        # The targets are kept per process (ola.selectors).
        watch(OlaTarget)
        # Routed to another queue after the clocks moved: the OLA clocks follow the tier.
        hooks.react(
            hooks.TicketRerouted,
            "ola.follow_tier",
            lambda rerouted: ola_clocks_sync(ticket=rerouted.ticket, at=rerouted.at),
        )
