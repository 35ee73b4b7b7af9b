"""Who may do what to a ticket now, and the input rules the services share."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.membership import agent_tiers
from escalation.models import Tier
from helpdesk.errors import ConflictError, DomainError
from helpdesk.text import isolated
from tickets.models import Category, Level, Ticket
from tickets.selectors import ticket_closing

# A close this recent is one the agent most likely did not see: it came "meanwhile".
CLOSED_RECENTLY = timedelta(hours=1)

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


# --- a closed ticket ---------------------------------------------------------------------------


def closed_ticket_refusal(*, ticket: Ticket, actor: User) -> DomainError:
    """Why a reply, a note or a file is refused on a closed ticket, in the words of who asked.

    The requester may open a new request; an agent cannot "open a new one" for themselves: they
    were told so all the same, with no word that someone else closed the ticket meanwhile."""
    if actor.pk == ticket.requester_id or not actor.is_staff_member:
        return DomainError(_("This ticket is closed; please open a new one."))
    return ConflictError(closed_meanwhile_message(ticket=ticket, done=_("Not sent")))


def closed_meanwhile_message(*, ticket: Ticket, done: str) -> str:
    """For an agent acting on a closed ticket: who closed it, and that a closed ticket takes
    nothing more (closed is final). "Meanwhile" only for a close within CLOSED_RECENTLY (the
    agent's page was most likely read before it); an older close says its day: a page kept
    open for days, or a link followed long after, was told "Ana closed this ticket meanwhile."
    of a close weeks old."""
    closing = ticket_closing(ticket=ticket)
    recent = closing.at is None or timezone.now() - closing.at <= CLOSED_RECENTLY
    params = {
        "done": done,
        # Isolated: a name holding a direction override (U+202E) would reverse the sentence.
        "name": isolated(closing.by.name) if closing.by is not None else "",
        # The day in the reader's time zone.
        "date": "" if recent else date_format(timezone.localtime(closing.at), "DATE_FORMAT"),
    }
    if closing.by is None:
        who = (
            _("%(done)s: this ticket was closed automatically meanwhile.")
            if recent
            else _("%(done)s: this ticket was closed automatically on %(date)s.")
        )
    elif closing.by.pk == ticket.requester_id:
        who = (
            _("%(done)s: the requester closed this ticket meanwhile.")
            if recent
            else _("%(done)s: the requester closed this ticket on %(date)s.")
        )
    else:
        who = (
            _("%(done)s: %(name)s closed this ticket meanwhile.")
            if recent
            else _("%(done)s: %(name)s closed this ticket on %(date)s.")
        )
    return "{} {}".format(
        who % params,
        _(
            "A closed ticket takes no more replies, notes, files or changes; copy what you "
            "wrote if it is still needed."
        ),
    )
