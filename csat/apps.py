from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CsatConfig(AppConfig):
    name = "csat"
    verbose_name = _("Customer satisfaction")

    def ready(self) -> None:
        from csat import services
        from tickets import hooks

        services.register_email_context()
        # The requester of a closed ticket is asked to rate it.
        hooks.react(
            hooks.TicketClosed,
            "csat.ask",
            lambda closed: services.csat_request(ticket=closed.ticket, at=closed.at),
        )
