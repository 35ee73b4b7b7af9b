from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Major incidents")

    def ready(self) -> None:
        from incidents.emails import sample_context, status_update_context
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder

        for kind in (
            NotificationKind.MAJOR_INCIDENT_UPDATE,
            NotificationKind.MAJOR_INCIDENT_OVERDUE,
        ):
            register_context_builder(kind=kind, build=status_update_context, sample=sample_context)
