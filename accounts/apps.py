from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import services, tasks

        services.register_email_context()
        services.SEND_EMAIL.plug(tasks.send_account_email)
