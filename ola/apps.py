from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OlaConfig(AppConfig):
    name = "ola"
    verbose_name = _("Operational levels")

    def ready(self) -> None:
        from helpdesk.config_cache import watch
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from ola.models import OlaTarget
        from ola.services import ola_clocks_sync
        from tickets import hooks
        from tickets.system_reasons import system_email_context, system_email_sample

        # The sweep's breach emails in their recipient's language and time zone.
        register_context_builder(
            kind=NotificationKind.OLA_BREACH, build=system_email_context, sample=system_email_sample
        )
        # The targets are kept per process (ola.selectors).
        watch(OlaTarget)
        # Routed to another queue after the clocks moved: the OLA clocks follow the tier.
        hooks.react(
            hooks.TicketRerouted,
            "ola.follow_tier",
            lambda rerouted: ola_clocks_sync(ticket=rerouted.ticket, at=rerouted.at),
        )
