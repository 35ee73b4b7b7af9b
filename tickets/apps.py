from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from tickets import guests, live  # noqa: F401 (live: its signal receivers)

        register_context_builder(
            kind=NotificationKind.GUEST_CLAIM,
            build=guests.claim_email_context,
            sample=guests.claim_email_sample,
        )
