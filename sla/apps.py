from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from helpdesk.config_cache import watch
        from notifications.models import NotificationKind
        from notifications.services import register_context_builder
        from sla.models import Calendar, CalendarHours, Holiday, SlaPolicy, SlaTarget
        from sla.services import clocks_on_event, clocks_on_reply
        from tickets import hooks
        from tickets.system_reasons import system_email_context, system_email_sample

        # Policies, targets and calendars are kept per process (sla.selectors).
        watch(SlaPolicy, SlaTarget, Calendar, CalendarHours, Holiday)
        # The clocks start at creation (after routing), on the provisional priority.
        hooks.react(
            hooks.TicketCreated,
            "sla.start_clocks",
            lambda created: clocks_on_event(
                ticket=created.ticket, event=created.event, at=created.at
            ),
        )
        # A transition moves them before the row is saved: what they set goes in its UPDATE.
        hooks.react(
            hooks.TicketSaving,
            "sla.move_clocks",
            lambda saving: clocks_on_event(
                ticket=saving.ticket, event=saving.event, at=saving.at, save_ticket=False
            ),
        )
        # An edit (a new priority) moves them after the edit and its routing.
        hooks.react(
            hooks.TicketChanged,
            "sla.move_clocks",
            lambda changed: (
                changed.event
                and clocks_on_event(ticket=changed.ticket, event=changed.event, at=changed.at)
            ),
        )
        # The sweep's emails in their recipient's language and time zone.
        for kind in (
            NotificationKind.SLA_WARNING,
            NotificationKind.SLA_BREACH,
            NotificationKind.RAISED_TO_MANAGER,
            NotificationKind.ESCALATED_TO_TIER,  # (an escalation on a breach says why)
        ):
            register_context_builder(
                kind=kind, build=system_email_context, sample=system_email_sample
            )
        # A public agent reply stops the response clocks; a requester's message may start one.
        hooks.react(
            hooks.CommentCreated,
            "sla.reply_clocks",
            lambda commented: clocks_on_reply(
                ticket=commented.ticket, comment=commented.comment, at=commented.at
            ),
        )
