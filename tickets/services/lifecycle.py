"""The transitions after triage: work, escalation, hold, resolution, closing, cancelling."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from accounts.models import User
from escalation.membership import agent_tiers
from escalation.models import Tier
from helpdesk.errors import DomainError
from tickets import hooks
from tickets.models import ClosureCode, Status, Ticket
from tickets.models_choices import CANCEL_CODES, RESOLUTION_CODES
from tickets.services.checks import (
    require_agent_at_tier,
    require_assignable,
    require_requester_or_agent,
)
from tickets.services.recipe import lock, raise_not_allowed, record, snapshot, transition
from tickets.transitions import REASSIGNABLE_STATES


def ticket_start_diagnosis(*, ticket: Ticket, actor: User, assignee: User) -> Ticket:
    """Assign a prioritized ticket to an agent of its tier, who starts diagnosing it."""

    def check(t: Ticket) -> None:
        require_agent_at_tier(actor=actor, ticket=t)
        require_assignable(assignee=assignee, ticket=t)

    return transition(
        ticket=ticket,
        actor=actor,
        name="start_diagnosis",
        check=check,
        apply=lambda t: t.start_diagnosis(assignee=assignee),
    )


def ticket_take(*, ticket: Ticket, actor: User) -> Ticket:
    """An agent of the ticket's current tier takes it (from its queue)."""

    def check(t: Ticket) -> None:
        if not actor.is_agent or t.tier not in agent_tiers(user=actor):
            raise PermissionDenied(
                _("Only agents of %(tier)s can take this ticket.") % {"tier": Tier(t.tier).label}
            )

    return transition(
        ticket=ticket, actor=actor, name="take", check=check, apply=lambda t: t.take(agent=actor)
    )


def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Functional escalation: the next tier's queue, waiting for one of its agents to take it."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is escalated."), field="reason")
    now = timezone.now()

    def check(t: Ticket) -> None:
        require_agent_at_tier(actor=actor, ticket=t)
        if t.status == Status.IN_DIAGNOSIS and t.tier >= Tier.L3:
            raise DomainError(_("L3 is the highest tier: this ticket cannot be escalated further."))

    return transition(
        ticket=ticket,
        actor=actor,
        name="escalate",
        reason=reason,
        reason_is_internal=True,
        check=check,
        apply=lambda t: t.escalate(at=now),
        at=now,
    )


def ticket_deescalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Back to the lower tier's queue (tier − 1), waiting for one of its agents to take it."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket goes back to a lower tier."), field="reason")

    def check(t: Ticket) -> None:
        require_agent_at_tier(actor=actor, ticket=t)
        if t.status in (Status.IN_DIAGNOSIS, Status.ESCALATED) and t.tier <= Tier.L1:
            raise DomainError(_("L1 is the lowest tier: this ticket cannot be de-escalated."))

    return transition(
        ticket=ticket,
        actor=actor,
        name="deescalate",
        reason=reason,
        reason_is_internal=True,
        check=check,
        apply=lambda t: t.deescalate(),
    )


def ticket_reassign(*, ticket: Ticket, actor: User, assignee: User, reason: str) -> Ticket:
    """Hand the ticket to another agent of its tier (a field change; the new assignee is told)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is reassigned."), field="reason")
    with transaction.atomic():
        locked = lock(ticket)
        require_agent_at_tier(actor=actor, ticket=locked)
        if locked.status not in REASSIGNABLE_STATES:
            raise_not_allowed(locked, "reassign")
        require_assignable(assignee=assignee, ticket=locked)
        if locked.assignee_id == assignee.pk:
            raise DomainError(
                _("The ticket is already assigned to %(name)s.") % {"name": assignee.name},
                field="assignee",
            )
        before = snapshot(locked)
        locked.assignee = assignee
        event = record(
            ticket=locked,
            actor=actor,
            before=before,
            from_status=locked.status,
            reason=reason,
            reason_is_internal=True,
            at=timezone.now(),
        )
        if event is not None:
            hooks.publish(hooks.TicketReassigned(ticket=locked, event=event, actor=actor))
    return locked


def ticket_escalate_for_breach(*, ticket: Ticket, reason: str) -> Ticket:
    """Automatic functional escalation after a resolution-SLA breach: the system acts."""
    now = timezone.now()
    return transition(
        ticket=ticket,
        actor=None,
        name="escalate_for_breach",
        reason=reason,
        reason_is_internal=True,
        apply=lambda t: t.escalate_for_breach(at=now),
        at=now,
    )


def ticket_hold(*, ticket: Ticket, actor: User, reason: str = "") -> Ticket:
    """Wait on the requester: the resolution clock pauses."""
    return transition(
        ticket=ticket,
        actor=actor,
        name="hold",
        reason=reason.strip(),
        check=lambda t: require_agent_at_tier(actor=actor, ticket=t),
        apply=lambda t: t.hold(),
    )


def ticket_resume(*, ticket: Ticket, actor: User | None, reason: str = "") -> Ticket:
    def check(t: Ticket) -> None:
        if actor is not None:
            require_requester_or_agent(actor=actor, ticket=t)

    return transition(
        ticket=ticket,
        actor=actor,
        name="resume",
        reason=reason.strip(),
        check=check,
        apply=lambda t: t.resume(),
    )


def ticket_resolve(*, ticket: Ticket, actor: User, summary: str, code: str) -> Ticket:
    summary = summary.strip()
    if not summary:
        raise DomainError(_("A resolution summary is required."), field="summary")
    if code not in RESOLUTION_CODES:
        raise DomainError(
            _("Choose a resolution code: %(codes)s.") % {"codes": ", ".join(RESOLUTION_CODES)},
            field="code",
        )
    now = timezone.now()
    with transaction.atomic():
        resolved = transition(
            ticket=ticket,
            actor=actor,
            name="resolve",
            check=lambda t: require_agent_at_tier(actor=actor, ticket=t),
            apply=lambda t: t.resolve(summary=summary, code=code, at=now),
            at=now,
        )
        # Resolving a major incident's parent ticket resolves the incident and its children.
        hooks.publish(hooks.TicketResolved(ticket=resolved, actor=actor))
    return resolved


def ticket_resolve_with_parent(
    *, ticket: Ticket, actor: User, summary: str, parent_reference: str
) -> str:
    """A ticket linked to a major incident follows the parent's resolution; returns what it did.

    The authority is the major incident's (an agent of any tier): a ticket being worked on is
    resolved with the parent's summary (resumed first if on hold); one nobody had started is
    closed as a duplicate of the parent, the summary recorded; resolved and closed ones are
    left alone. Each change is an ordinary transition with its event and notifications.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    reason = _("Resolved with major incident %(reference)s.") % {"reference": parent_reference}
    now = timezone.now()
    with transaction.atomic():
        locked = lock(ticket)
        if locked.status == Status.ON_HOLD:
            locked = transition(
                ticket=locked, actor=actor, name="resume", reason=reason, apply=lambda t: t.resume()
            )
        if locked.status == Status.IN_DIAGNOSIS:
            transition(
                ticket=locked,
                actor=actor,
                name="resolve",
                reason=reason,
                apply=lambda t: t.resolve(summary=summary, code=ClosureCode.FIXED, at=now),
                at=now,
            )
            return "resolved"
        if locked.status in (Status.RESOLVED, Status.CLOSED):
            return "unchanged"

        def close_as_duplicate(t: Ticket) -> None:
            t.resolution_summary = summary
            t.cancel(code=ClosureCode.DUPLICATE, at=now)

        transition(
            ticket=locked,
            actor=actor,
            name="cancel",
            reason=reason,
            apply=close_as_duplicate,
            at=now,
        )
        return "closed_duplicate"


def ticket_recover(*, ticket: Ticket, summary: str, at: datetime | None = None) -> Ticket:
    """The system resolves an incident whose monitored service recovered (actor None).

    Only for the monitoring intake, and only before an agent has taken the incident (the FSM
    refuses in_diagnosis and on_hold)."""
    at = at or timezone.now()
    return transition(
        ticket=ticket,
        actor=None,
        name="recover",
        reason=summary,
        apply=lambda t: t.recover(summary=summary, at=at),
        at=at,
    )


def ticket_relapse(*, ticket: Ticket, reason: str) -> Ticket:
    """The system puts a recovered incident back in its tier's queue: its alert fired again
    (actor None). A new resolution cycle starts, as with reopen."""
    return transition(
        ticket=ticket,
        actor=None,
        name="relapse",
        reason=reason,
        reason_is_internal=True,
        apply=lambda t: t.relapse(),
    )


def ticket_close(*, ticket: Ticket, actor: User | None, reason: str = "") -> Ticket:
    """The requester confirms the resolution (or an agent for them, or the auto-close job)."""
    now = timezone.now()

    def check(t: Ticket) -> None:
        if actor is not None:
            require_requester_or_agent(actor=actor, ticket=t)
        elif t.resolved_at is None or t.resolved_at >= now - timedelta(
            days=settings.HELPDESK_AUTO_CLOSE_DAYS
        ):
            # The system closes only what has waited long enough (a reopen resets resolved_at).
            raise_not_allowed(t, "close")

    with transaction.atomic():
        closed = transition(
            ticket=ticket,
            actor=actor,
            name="close",
            reason=reason.strip(),
            check=check,
            apply=lambda t: t.close(at=now),
            at=now,
        )
        # The requester is asked to rate the ticket (csat app), in the same transaction.
        hooks.publish(hooks.TicketClosed(ticket=closed, at=now))
    return closed


def ticket_reopen(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """The requester rejects the resolution: back to diagnosis, at the same tier and assignee."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the resolution did not solve it."), field="reason")
    return transition(
        ticket=ticket,
        actor=actor,
        name="reopen",
        reason=reason,
        check=lambda t: require_requester_or_agent(actor=actor, ticket=t),
        apply=lambda t: t.reopen(),
    )


def ticket_cancel(*, ticket: Ticket, actor: User, code: str, reason: str = "") -> Ticket:
    if code not in CANCEL_CODES:
        raise DomainError(
            _("Choose a cancellation code: %(codes)s.") % {"codes": ", ".join(CANCEL_CODES)},
            field="code",
        )
    now = timezone.now()

    def check(t: Ticket) -> None:
        if actor.pk == t.requester_id:
            if code != ClosureCode.WITHDRAWN:
                # It is their own ticket: what they may not choose is another code.
                raise PermissionDenied(
                    _("A requester closes their ticket only by withdrawing it (code “withdrawn”).")
                )
            return
        require_agent_at_tier(actor=actor, ticket=t)

    return transition(
        ticket=ticket,
        actor=actor,
        name="cancel",
        reason=reason.strip(),
        check=check,
        apply=lambda t: t.cancel(code=code, at=now),
        at=now,
    )


def tickets_auto_close(*, batch_size: int = 200) -> int:
    """Close resolved tickets left unconfirmed for HELPDESK_AUTO_CLOSE_DAYS (actor: the system).

    Each ticket is closed by the normal transition, so a requester who reopens at the same moment
    wins or loses cleanly on the row lock; re-running closes nothing twice.
    """
    cutoff = timezone.now() - timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)
    due = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for ticket_id in due:
        try:
            ticket_close(
                ticket=Ticket(pk=ticket_id),
                actor=None,
                reason=_("Closed automatically: the resolution was not disputed."),
            )
        except TransitionNotAllowed:
            continue  # reopened or closed meanwhile
        closed += 1
    return closed
