from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from tickets import guests, hooks, live  # live: its signal receivers too

        def first_response(followed: hooks.CommentFollowed) -> None:
            """An agent's first public reply stopped a first-response clock: the queue's SLA
            cell changes (other saves of the row stamp the queues by themselves)."""
            if followed.first_response:
                ticket = followed.ticket
                live.live_queue_changed(tiers=(ticket.tier,), agents=(ticket.assignee_id,))

        hooks.react(hooks.CommentFollowed, "tickets.live_queue", first_response)

        register_context_builder(
            kind=NotificationKind.GUEST_CLAIM,
            build=guests.claim_email_context,
            sample=guests.claim_email_sample,
        )
