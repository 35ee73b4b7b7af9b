"""Enumerations of the ticket domain, importable without loading models."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Free text a person types, checked by the forms and the API alike (the columns are TEXT):
# a reason (a transition's, a change's, an escalation's) and a longer text (a reply, a
# resolution summary, a ticket's description). docs/security.md, "Free-text limits".
REASON_MAX_LENGTH = 2000
TEXT_MAX_LENGTH = 20000
# A text over its limit, in our words for forms and API alike (tickets.forms.LimitedTextField,
# tickets.api.serializers.LimitedCharField): Django's and DRF's Spanish said "menos de 2000
# caracteres" (fewer than) of a limit that allows 2000. Django's length validator fills in both
# numbers, for a form and a serializer.
MAX_LENGTH_MESSAGE = _("At most %(limit_value)d characters (it has %(show_value)d).")


class Status(models.TextChoices):
    NEW = "new", _("New")
    LOGGED = "logged", _("Logged")
    CATEGORIZED = "categorized", _("Categorized")
    PRIORITIZED = "prioritized", _("Prioritized")
    IN_DIAGNOSIS = "in_diagnosis", _("In diagnosis")
    ON_HOLD = "on_hold", _("Waiting on requester")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# States a ticket can be cancelled from; resolved waits on the requester's confirmation instead.
ACTIVE_STATES = [
    Status.NEW,
    Status.LOGGED,
    Status.CATEGORIZED,
    Status.PRIORITIZED,
    Status.IN_DIAGNOSIS,
    Status.ON_HOLD,
    Status.ESCALATED,
]
OPEN_STATES = [*ACTIVE_STATES, Status.RESOLVED]


class Kind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service request")


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# The same levels named for the field they qualify: Spanish makes the adjective agree with
# the noun (el impacto alto, la urgencia alta), so each field has its own context.
IMPACT_LABELS: dict[str, Any] = {
    Level.HIGH: pgettext_lazy("impact", "High"),
    Level.MEDIUM: pgettext_lazy("impact", "Medium"),
    Level.LOW: pgettext_lazy("impact", "Low"),
}
URGENCY_LABELS: dict[str, Any] = {
    Level.HIGH: pgettext_lazy("urgency", "High"),
    Level.MEDIUM: pgettext_lazy("urgency", "Medium"),
    Level.LOW: pgettext_lazy("urgency", "Low"),
}


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 critical")
    P2 = 2, _("P2 high")
    P3 = 3, _("P3 medium")
    P4 = 4, _("P4 low")
    P5 = 5, _("P5 planning")


class ClosureCode(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    WORKAROUND = "workaround", _("Workaround provided")
    INFORMATION = "information", _("Information or guidance given")
    NO_FAULT_FOUND = "no_fault_found", _("No fault found")
    DUPLICATE = "duplicate", _("Duplicate of another ticket")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")
    NOT_SUPPORT = "not_support", _("Not a support matter")


RESOLUTION_CODES = [
    ClosureCode.FIXED,
    ClosureCode.WORKAROUND,
    ClosureCode.INFORMATION,
    ClosureCode.NO_FAULT_FOUND,
]
CANCEL_CODES = [ClosureCode.DUPLICATE, ClosureCode.WITHDRAWN, ClosureCode.NOT_SUPPORT]


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    MONITORING = "monitoring", _("Monitoring")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status change")
    CHANGE = "change", _("Field change")
    RAISED = "raised", _("Raised to management")
    SLA = "sla", _("Service level")
    CALL = "call", _("Call")


def event_kinds() -> list[tuple[str, Any]]:
    # A callable: adding a kind needs no migration.
    return EventKind.choices
