from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Chat notifications")

    def ready(self) -> None:
        from chat.models import ChatChannel
        from helpdesk.config_cache import watch

        # The hooks read which channels listen to what on every ticket write: kept per process.
        watch(ChatChannel)
