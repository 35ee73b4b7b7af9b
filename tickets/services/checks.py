"""Who may do what to a ticket now, and the input rules the services share."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.membership import agent_tiers
from escalation.models import Tier
from helpdesk.errors import DomainError
from tickets.models import Category, Level, Ticket

# --- permissions -------------------------------------------------------------------------------


def require_agent_at_tier(*, actor: User, ticket: Ticket) -> None:
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    if ticket.tier not in agent_tiers(user=actor) and ticket.assignee_id != actor.pk:
        raise PermissionDenied(
            _("Only agents of %(tier)s can work on this ticket.")
            % {"tier": Tier(ticket.tier).label}
        )


def require_agent_or_system(*, actor: User | None, ticket: Ticket) -> None:
    """actor None is the system itself (the monitoring intake triaging an alert): always allowed.
    Only services that document it accept None; views always pass the signed-in user."""
    if actor is not None:
        require_agent_at_tier(actor=actor, ticket=ticket)


def require_requester_or_agent(*, actor: User, ticket: Ticket) -> None:
    if actor.pk == ticket.requester_id:
        return
    require_agent_at_tier(actor=actor, ticket=ticket)


# --- validation --------------------------------------------------------------------------------


def validate_category(category: Category | None) -> None:
    if category is None:
        raise DomainError(_("Choose a category."), field="category")
    if not category.is_active:
        raise DomainError(_("This category is no longer in use."), field="category")


def validate_priority_input(
    *, impact: str, urgency: str, override: int | None, reason: str
) -> None:
    if impact not in Level.values:
        raise DomainError(_("Impact must be high, medium or low."), field="impact")
    if urgency not in Level.values:
        raise DomainError(_("Urgency must be high, medium or low."), field="urgency")
    if override is not None:
        if override not in range(1, 6):
            raise DomainError(_("Priority must be between 1 and 5."), field="priority")
        if not reason.strip():
            raise DomainError(_("Say why the priority is overridden."), field="reason")


def require_assignable(*, assignee: User, ticket: Ticket) -> None:
    if not assignee.is_agent or not assignee.is_active:
        raise DomainError(_("Tickets can only be assigned to active agents."), field="assignee")
    if ticket.tier not in agent_tiers(user=assignee):
        raise DomainError(
            _("%(name)s is not an agent of %(tier)s.")
            % {"name": assignee.name, "tier": Tier(ticket.tier).label},
            field="assignee",
        )
