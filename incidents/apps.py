from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Major incidents")

    def ready(self) -> None:
        from incidents.emails import sample_context, status_update_context
        from incidents.services import major_incident_parent_resolved
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from tickets import hooks

        # Resolving a major incident's parent ticket resolves the incident and its children.
        hooks.react(
            hooks.TicketResolved,
            "incidents.follow_parent",
            lambda resolved: major_incident_parent_resolved(
                ticket=resolved.ticket, actor=resolved.actor
            ),
        )

        for kind in (
            NotificationKind.MAJOR_INCIDENT_UPDATE,
            NotificationKind.MAJOR_INCIDENT_OVERDUE,
        ):
            register_context_builder(kind=kind, build=status_update_context, sample=sample_context)
