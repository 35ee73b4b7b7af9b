from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from tickets import guests, hooks, live  # live: its signal receivers too

        def stamp_queue(followed: hooks.CommentFollowed) -> None:
            """A public message moved the row's SLA cell: an agent's reply stopped the first or
            next response clock, a requester's started the next one (other saves of the row
            stamp the queues by themselves). The queue's rows are shared until a stamp."""
            if followed.first_response or not followed.comment.is_internal:
                ticket = followed.ticket
                live.live_queue_changed(tiers=(ticket.tier,), agents=(ticket.assignee_id,))

        hooks.react(hooks.CommentFollowed, "tickets.live_queue", stamp_queue)

        register_context_builder(
            kind=NotificationKind.GUEST_CLAIM,
            build=guests.claim_email_context,
            sample=guests.claim_email_sample,
        )
