from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import mentions, reactions, services, tasks
        from tickets import hooks

        mentions.register_email_context()
        services.DELIVER_ONE.plug(tasks.deliver_notification)
        services.DELIVER_MANY.plug(tasks.deliver_notifications)
        # Who hears of what happens to a ticket (notifications.reactions).
        hooks.react(
            hooks.TicketCreated, "notifications.ticket_created", reactions.notify_ticket_created
        )
        status_changed = reactions.notify_status_changed
        hooks.react(hooks.TicketTransitioned, "notifications.status_changed", status_changed)
        hooks.react(hooks.TicketReassigned, "notifications.status_changed", status_changed)
        hooks.react(hooks.TicketMerged, "notifications.merged", reactions.notify_merged)
        hooks.react(hooks.CommentFollowed, "notifications.reply", reactions.notify_reply)
        hooks.react(hooks.CommentFollowed, "notifications.mentions", reactions.notify_mentions)
