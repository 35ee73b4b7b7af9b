"""Triage: identify, categorize, prioritize — one step at a time or all in one go."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from tickets.models import Category, Kind, Status, Ticket
from tickets.services.checks import (
    require_agent_or_system,
    validate_category,
    validate_priority_input,
)
from tickets.services.recipe import lock, raise_not_allowed, transition
from tickets.transitions import TRIAGE_STATES


def ticket_identify(
    *, ticket: Ticket, actor: User | None, kind: str, reroute: bool = True
) -> Ticket:
    """`reroute=False` when a later step of the same triage routes the ticket anyway."""
    if kind not in Kind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    return transition(
        ticket=ticket,
        actor=actor,
        name="identify",
        check=lambda t: require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.identify(kind=kind),
        reroute=reroute,
    )


def ticket_categorize(
    *, ticket: Ticket, actor: User | None, category: Category, reroute: bool = True
) -> Ticket:
    validate_category(category)
    return transition(
        ticket=ticket,
        actor=actor,
        name="categorize",
        check=lambda t: require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.categorize(category=category),
        reroute=reroute,
    )


def ticket_prioritize(
    *,
    ticket: Ticket,
    actor: User | None,
    impact: str,
    urgency: str,
    override: int | None = None,
    reason: str = "",
) -> Ticket:
    validate_priority_input(impact=impact, urgency=urgency, override=override, reason=reason)
    return transition(
        ticket=ticket,
        actor=actor,
        name="prioritize",
        reason=reason,
        check=lambda t: require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.prioritize(
            impact=impact, urgency=urgency, override=override, reason=reason
        ),
        reroute=True,
    )


def ticket_triage(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    category: Category,
    impact: str,
    urgency: str,
    override: int | None = None,
    reason: str = "",
) -> Ticket:
    """identify + categorize + prioritize in one transaction, each its own event.

    Steps already done are skipped, so triage also finishes a half-triaged ticket.
    actor None: the system triages (a monitoring alert, with impact/urgency from its rules).
    """
    if kind not in Kind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    validate_category(category)
    validate_priority_input(impact=impact, urgency=urgency, override=override, reason=reason)
    with transaction.atomic():
        locked = lock(ticket)
        if (actor is None or actor.is_agent) and locked.status not in TRIAGE_STATES:
            raise_not_allowed(locked, "triage")  # lost a race: 409 before any permission check
        require_agent_or_system(actor=actor, ticket=locked)
        if locked.status not in TRIAGE_STATES:
            raise_not_allowed(locked, "triage")
        # Routing reads kind, category and priority: route once, after the last step.
        if locked.status == Status.NEW:
            locked = ticket_identify(ticket=locked, actor=actor, kind=kind, reroute=False)
        if locked.status == Status.LOGGED:
            locked = ticket_categorize(ticket=locked, actor=actor, category=category, reroute=False)
        locked = ticket_prioritize(
            ticket=locked,
            actor=actor,
            impact=impact,
            urgency=urgency,
            override=override,
            reason=reason,
        )
    return locked
