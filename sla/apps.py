from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from helpdesk.config_cache import watch
        from sla.models import Calendar, CalendarHours, Holiday, SlaPolicy, SlaTarget

        # Policies, targets and calendars are kept per process (sla.selectors).
        watch(SlaPolicy, SlaTarget, Calendar, CalendarHours, Holiday)
