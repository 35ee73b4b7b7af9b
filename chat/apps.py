from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat notifications")

    def ready(self) -> None:
        from chat import services, tasks
        from chat.models import ChatChannel
        from chat.services import chat_on_ticket_change
        from helpdesk.config_cache import watch
        from tickets import hooks

        # The hooks read which channels listen to what on every ticket write: kept per process.
        watch(ChatChannel)
        services.DELIVER.plug(tasks.deliver_chat)

        # A priority that became P1/P2, an escalation: posted to the channels that listen.
        def post(change: hooks.TicketTransitioned | hooks.TicketChanged) -> None:
            chat_on_ticket_change(ticket=change.ticket, event=change.event)

        hooks.react(hooks.TicketTransitioned, "chat.post", post)
        hooks.react(hooks.TicketChanged, "chat.post", post)
