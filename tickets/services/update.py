"""Changes without a state change: details, classification, priority."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from tickets import hooks
from tickets.models import Status, Ticket
from tickets.services.checks import (
    require_agent_at_tier,
    validate_category,
    validate_priority_input,
)
from tickets.services.recipe import lock, record, snapshot


def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    reason: str = "",
    **fields: Any,
) -> Ticket:
    """Edit details or reclassify (category, impact/urgency, priority override) with a reason.

    Recorded as one change event; a priority change recomputes the SLA clocks.
    """
    editable = {
        "title",
        "description",
        "contact_name",
        "contact_email",
        "contact_phone",
        "affected",
        "category",
        "impact",
        "urgency",
        "priority",
    }
    unknown = set(fields) - editable
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        locked = lock(ticket)
        require_agent_at_tier(actor=actor, ticket=locked)
        if locked.status == Status.CLOSED:
            raise DomainError(_("A closed ticket cannot be changed."))
        before = snapshot(locked)
        for name in ("title", "description"):
            if name in fields:
                value = str(fields[name]).strip()
                if not value:
                    raise DomainError(_("This field cannot be empty."), field=name)
                setattr(locked, name, value)
        for name in ("contact_name", "contact_email", "contact_phone", "affected"):
            if name in fields:
                setattr(locked, name, str(fields[name]).strip())
        if "category" in fields:
            validate_category(fields["category"])
            locked.category = fields["category"]
        if {"impact", "urgency", "priority"} & set(fields):
            impact = fields.get("impact", locked.impact)
            urgency = fields.get("urgency", locked.urgency)
            override = fields.get("priority")
            validate_priority_input(
                impact=impact, urgency=urgency, override=override, reason=reason
            )
            if not reason.strip() and before["priority_is_provisional"] is False:
                raise DomainError(_("Say why the priority changes."), field="reason")
            locked.set_priority(impact=impact, urgency=urgency, override=override, reason=reason)
        now = timezone.now()
        event = record(
            ticket=locked,
            actor=actor,
            before=before,
            from_status=locked.status,
            reason=reason.strip(),
            at=now,
        )
        reroute = bool({"category", "impact", "urgency", "priority"} & set(fields))
        hooks.publish(
            hooks.TicketChanged(ticket=locked, event=event, actor=actor, at=now, reroute=reroute)
        )
    return locked
