"""Writes for tiers and escalation: routing, hierarchical escalation, the rota, the routing
rules, support groups and scheduled calls.

tickets.services calls `ticket_route`, so this module imports tickets.services only inside the
call functions that put a ticket on hold or resume it.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from accounts.models import Role, User
from escalation.models import (
    CallMedium,
    CallStatus,
    OnCallShift,
    RoutingRule,
    ScheduledCall,
    SupportGroup,
    Tier,
)
from escalation.rules import TicketAttributes, route
from escalation.selectors import (
    CALL_STATES,
    CALL_TIERS,
    agent_tiers,
    oncall_agents,
    routing_rules_for_evaluation,
    upcoming_held_calls_due,
    works_on_ticket,
)
from helpdesk.errors import ConflictError, DomainError
from notifications.models import NotificationKind
from notifications.services import notification_enqueue, notification_fan_out
from tickets import hooks
from tickets.models import Category, EventKind, Kind, Priority, Status, Ticket, TicketEvent

# --- hierarchical escalation -----------------------------------------------------------------


def hierarchical_recipients(*, ticket: Ticket) -> list[User]:
    """The leads of the ticket's tier groups and every active manager, each once."""
    leads = User.objects.filter(
        led_groups__in=SupportGroup.objects.filter(tier=ticket.tier), is_active=True
    )
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    return list((leads | managers).distinct().order_by("pk"))


def ticket_raise_to_manager(
    *, ticket: Ticket, actor: User | None, reason: str, cause: str = ""
) -> TicketEvent:
    """Record a hierarchical escalation and notify the tier lead and the managers.

    `actor` is None when the SLA engine raises it; `cause` (e.g. "sla:123:breach") makes a
    repeated call for the same cause notify nobody twice.
    """
    with transaction.atomic():
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            created_at=timezone.now(),
            kind=EventKind.RAISED,
            reason=reason,
            reason_is_internal=True,
        )
        notification_fan_out(
            recipients=[
                recipient
                for recipient in hierarchical_recipients(ticket=ticket)
                if actor is None or recipient.pk != actor.pk
            ],
            kind=NotificationKind.RAISED_TO_MANAGER,
            ticket=ticket,
            cause=cause or f"event:{event.pk}",
            context={"reason": reason},
        )
    return event


def _require_tier_agent(*, actor: User, ticket: Ticket) -> None:
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    if not works_on_ticket(user=actor, ticket=ticket):
        raise PermissionDenied(
            _("Only agents of %(tier)s can work on this ticket.")
            % {"tier": Tier(ticket.tier).label}
        )


def _not_allowed(ticket: Ticket, method: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        f"Can't {method} from state '{ticket.status}'", object=ticket, method=method
    )


def ticket_raise(*, ticket: Ticket, actor: User, reason: str) -> TicketEvent:
    """An agent of the ticket's tier raises it to the lead and the managers by hand."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is raised to management."), field="reason")
    _require_tier_agent(actor=actor, ticket=ticket)
    if ticket.status == Status.CLOSED:
        raise _not_allowed(ticket, "raise")
    return ticket_raise_to_manager(ticket=ticket, actor=actor, reason=reason)


# --- routing -----------------------------------------------------------------------------------

# Routing only moves a ticket nobody has taken yet; after that only escalation moves it.
ROUTABLE_STATES = {Status.NEW, Status.LOGGED, Status.CATEGORIZED, Status.PRIORITIZED}


def ticket_reroute(change: hooks.TicketTransitioned | hooks.TicketChanged) -> None:
    """Reaction to a transition or edit (tickets.hooks): when it set what routing reads, route
    the ticket again; when that moved it to another queue, publish TicketRerouted."""
    if change.reroute and ticket_route(ticket=change.ticket, at=change.at) is not None:
        hooks.publish(hooks.TicketRerouted(ticket=change.ticket, at=change.at))


def ticket_route(*, ticket: Ticket, at: datetime | None = None) -> TicketEvent | None:
    """Put a ticket in the queue (tier + group) the routing rules give it; page L3 for a P1.

    Called by tickets.services inside the transaction that created the ticket or changed its
    priority, category or kind, on the row that transaction holds. Returns the routing event,
    or None when the queue did not change. The page is sent once per ticket and agent.
    """
    if ticket.status not in ROUTABLE_STATES or ticket.assignee_id is not None:
        return None
    at = at or timezone.now()
    parent_id = (
        Category.objects.filter(pk=ticket.category_id).values_list("parent_id", flat=True).first()
        if ticket.category_id
        else None
    )
    result = route(
        ticket=TicketAttributes(
            kind=ticket.kind,
            priority=ticket.priority,
            category_id=ticket.category_id,
            category_parent_id=parent_id,
        ),
        rules=routing_rules_for_evaluation(),
    )
    event = None
    if (ticket.tier, ticket.support_group_id) != (result.tier, result.group_id):
        changes: dict[str, list[int | None]] = {}
        if ticket.tier != result.tier:
            changes["tier"] = [ticket.tier, result.tier]
        if ticket.support_group_id != result.group_id:
            changes["support_group_id"] = [ticket.support_group_id, result.group_id]
        ticket.tier, ticket.support_group_id = result.tier, result.group_id
        ticket.save(update_fields=["tier", "support_group", "updated_at"])
        if result.rule_id is not None:
            rule_name = RoutingRule.objects.get(pk=result.rule_id).name
            reason = _("Routed by the rule “%(rule)s”.") % {"rule": rule_name}
        elif result.page_oncall:
            reason = _("P1: routed straight to L3.")
        else:
            reason = _("Routed to the L1 queue.")
        event = TicketEvent.objects.create(
            ticket=ticket,
            actor=None,
            created_at=at,
            kind=EventKind.CHANGE,
            changes=changes,
            reason=reason,
            reason_is_internal=True,
        )
    if result.page_oncall:
        _page_oncall(ticket=ticket, at=at)
    return event


def _page_oncall(*, ticket: Ticket, at: datetime) -> None:
    recipients = oncall_agents(tier=Tier.L3, at=at)
    if not recipients:  # nobody on the rota: the L3 leads must hear of it
        recipients = list(
            User.objects.filter(led_groups__tier=Tier.L3, is_active=True).distinct().order_by("pk")
        )
    notification_fan_out(
        recipients=recipients,
        kind=NotificationKind.ONCALL_PAGE,
        ticket=ticket,
        cause=f"ticket:{ticket.pk}:p1",
    )


# --- managers' configuration ------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_manager):
        raise PermissionDenied(_("Only managers can change this."))


def _require_agents(users: list[User], *, field: str) -> None:
    for user in users:
        if not user.is_agent:
            raise DomainError(
                _("%(name)s is not a support agent.") % {"name": user.name}, field=field
            )


def support_group_check(
    *, group: SupportGroup | None, name: str, tier: int, lead: User | None, members: list[User]
) -> None:
    """The rules of a support group (DomainError on the field at fault), for
    support_group_save and for the admin, which writes the row itself."""
    if not name.strip():
        raise DomainError(_("A name is required."), field="name")
    if tier not in Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    same_name = SupportGroup.objects.filter(name__iexact=name.strip())
    if group is not None:
        same_name = same_name.exclude(pk=group.pk)
    if same_name.exists():
        raise DomainError(_("A group with this name already exists."), field="name")
    _require_agents(members, field="members")
    if lead is not None:
        _require_agents([lead], field="lead")


def support_group_save(
    *,
    actor: User,
    group: SupportGroup | None = None,
    name: str,
    tier: int,
    lead: User | None = None,
    members: list[User] | None = None,
) -> SupportGroup:
    """Create (group None) or update a support group; managers only."""
    _require_manager(actor)
    name = name.strip()
    members = list(members or [])
    support_group_check(group=group, name=name, tier=tier, lead=lead, members=members)
    with transaction.atomic():
        group = group or SupportGroup()
        group.name, group.tier, group.lead = name, tier, lead
        group.save()
        group.members.set(members)
    return group


def oncall_shift_check(*, agent: User, tier: int, starts_at: datetime, ends_at: datetime) -> None:
    """The rules of a shift (DomainError on the field at fault), for oncall_shift_save and for
    the admin, which writes the row itself."""
    if tier not in Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    if ends_at <= starts_at:
        raise DomainError(_("A shift must end after it starts."), field="ends_at")
    if ends_at - starts_at > timedelta(days=31):
        raise DomainError(_("A shift cannot last more than 31 days."), field="ends_at")
    if ends_at <= timezone.now():
        # Saved, it paged no one and the rota (shifts not yet ended) never showed it: a year
        # typed wrong looked like a shift that vanished.
        raise DomainError(
            _("This shift has already ended: check the dates (the rota shows shifts to come)."),
            field="ends_at",
        )
    if not agent.is_agent or not agent.is_active or tier not in agent_tiers(user=agent):
        raise DomainError(
            _("%(name)s is not an agent of %(tier)s.")
            % {"name": agent.name, "tier": Tier(tier).label},
            field="agent",
        )


def oncall_shift_save(
    *,
    actor: User,
    shift: OnCallShift | None = None,
    agent: User,
    tier: int = Tier.L3,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> OnCallShift:
    """Create (shift None) or change an on-call shift; managers only."""
    _require_manager(actor)
    oncall_shift_check(agent=agent, tier=tier, starts_at=starts_at, ends_at=ends_at)
    shift = shift or OnCallShift()
    shift.agent, shift.tier, shift.starts_at, shift.ends_at = agent, tier, starts_at, ends_at
    shift.note = note.strip()[:200]
    shift.save()
    return shift


def oncall_shift_delete(*, actor: User, shift: OnCallShift) -> None:
    _require_manager(actor)
    shift.delete()


def routing_rule_target_tier(*, target_tier: int | None, target_group: SupportGroup | None) -> int:
    """The tier a rule sends to: its group's (a different tier chosen with it is refused), or
    the tier chosen. For routing_rule_save and for the admin, which writes the row itself."""
    if target_group is not None:
        if target_tier is not None and target_tier != target_group.tier:
            raise DomainError(
                _("The group %(group)s works at %(tier)s.")
                % {"group": target_group.name, "tier": target_group.get_tier_display()},
                field="target_tier",
            )
        target_tier = target_group.tier
    if target_tier not in Tier.values:
        raise DomainError(_("Choose a target tier or group."), field="target_tier")
    return int(target_tier)  # type: ignore[arg-type]


def routing_rule_save(
    *,
    actor: User,
    rule: RoutingRule | None = None,
    name: str,
    target_tier: int | None = None,
    target_group: SupportGroup | None = None,
    category: Category | None = None,
    kind: str = "",
    priority: int | None = None,
    position: int = 100,
    is_active: bool = True,
) -> RoutingRule:
    """Create (rule None) or change a routing rule; managers only. A target group sets the
    tier (its own); a tier alone sends to that tier's queue."""
    _require_manager(actor)
    name = name.strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    target_tier = routing_rule_target_tier(target_tier=target_tier, target_group=target_group)
    if kind and kind not in Kind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    if priority is not None and priority not in Priority.values:
        raise DomainError(_("Priority must be between 1 and 5."), field="priority")
    if position < 0:
        raise DomainError(_("The position cannot be negative."), field="position")
    rule = rule or RoutingRule()
    rule.name, rule.position, rule.is_active = name, position, is_active
    rule.category, rule.kind, rule.priority = category, kind, priority
    rule.target_tier, rule.target_group = target_tier, target_group  # type: ignore[assignment]
    rule.save()
    return rule


def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    _require_manager(actor)
    rule.delete()


# --- scheduled calls ---------------------------------------------------------------------------


def _require_call_organiser(*, actor: User, ticket: Ticket) -> None:
    if not actor.is_agent or not (agent_tiers(user=actor) & CALL_TIERS):
        raise PermissionDenied(_("Only L2 and L3 agents can schedule calls."))
    _require_tier_agent(actor=actor, ticket=ticket)


def _validate_call(
    *, starts_at: datetime, duration_minutes: int, medium: str, link_or_number: str, now: datetime
) -> str:
    if timezone.is_naive(starts_at):
        raise DomainError(_("Give the call's time with its time zone."), field="starts_at")
    if starts_at <= now:
        raise DomainError(_("The call must be in the future."), field="starts_at")
    if starts_at > now + timedelta(days=365):
        raise DomainError(_("The call must be within a year."), field="starts_at")
    if not 5 <= duration_minutes <= 480:
        raise DomainError(_("A call lasts between 5 and 480 minutes."), field="duration_minutes")
    if medium not in CallMedium.values:
        raise DomainError(_("Choose phone or video."), field="medium")
    link_or_number = link_or_number.strip()
    if not link_or_number:
        raise DomainError(_("Give the meeting link or the phone number."), field="link_or_number")
    if medium == CallMedium.VIDEO and not link_or_number.startswith(("https://", "http://")):
        raise DomainError(
            _("A video call needs a meeting link (https://…)."), field="link_or_number"
        )
    if medium == CallMedium.PHONE and not any(c.isdigit() for c in link_or_number):
        raise DomainError(_("Give a phone number."), field="link_or_number")
    return link_or_number


def _call_event(
    *, call: ScheduledCall, actor: User | None, action: str, at: datetime, reason: str = ""
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket_id=call.ticket_id,
        actor=actor,
        created_at=at,
        kind=EventKind.CALL,
        changes={
            "call": call.pk,
            "action": action,
            "starts_at": call.starts_at.isoformat(),
            "medium": call.medium,
            "sequence": call.sequence,
        },
        reason=reason,
    )


def _send_call_update(*, call: ScheduledCall, ticket: Ticket) -> None:
    """The requester's invitation (or cancellation), once per call and sequence; the .ics is
    rendered at send time from the call (escalation.calendar)."""
    notification_enqueue(
        recipient=ticket.requester,
        kind=(
            NotificationKind.CALL_CANCELLED
            if call.status == CallStatus.CANCELLED
            else NotificationKind.CALL_INVITATION
        ),
        ticket=ticket,
        cause=f"call:{call.pk}:{call.sequence}",
        context={"call_id": call.pk, "sequence": call.sequence},
    )


def call_schedule(
    *,
    ticket: Ticket,
    actor: User,
    starts_at: datetime,
    duration_minutes: int,
    medium: str,
    link_or_number: str,
    notes: str = "",
    hold_until_call: bool = False,
) -> ScheduledCall:
    """An L2/L3 agent books a call with the requester, who is emailed an invitation (.ics).

    With `hold_until_call` the ticket waits on the requester (SLA paused) until the call starts.
    """
    from tickets import services as ticket_services  # tickets.services imports this module

    now = timezone.now()
    link_or_number = _validate_call(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        medium=medium,
        link_or_number=link_or_number,
        now=now,
    )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
        _require_call_organiser(actor=actor, ticket=locked)
        if locked.status not in CALL_STATES:
            raise _not_allowed(locked, "schedule a call")
        if hold_until_call and locked.status not in (Status.IN_DIAGNOSIS, Status.ON_HOLD):
            raise DomainError(
                _("Only a ticket in diagnosis can wait for the call."), field="hold_until_call"
            )
        call = ScheduledCall.objects.create(
            ticket=locked,
            organiser=actor,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            medium=medium,
            link_or_number=link_or_number,
            notes=notes.strip(),
            hold_until_call=hold_until_call,
        )
        _call_event(call=call, actor=actor, action="scheduled", at=now)
        if hold_until_call and locked.status == Status.IN_DIAGNOSIS:
            locked = ticket_services.ticket_hold(
                ticket=locked, actor=actor, reason=_("Waiting for the scheduled call.")
            )
        _send_call_update(call=call, ticket=locked)
    return call


def _lock_call(*, call: ScheduledCall) -> tuple[Ticket, ScheduledCall]:
    # Always ticket first, then call: the same order as the resume sweep.
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=call.ticket_id)
    locked = ScheduledCall.objects.select_for_update().get(pk=call.pk)
    if locked.status == CallStatus.CANCELLED:
        raise ConflictError(_("This call was cancelled."))
    return ticket, locked


def call_reschedule(
    *,
    call: ScheduledCall,
    actor: User,
    starts_at: datetime,
    duration_minutes: int | None = None,
    medium: str | None = None,
    link_or_number: str | None = None,
    notes: str | None = None,
) -> ScheduledCall:
    """Move a call (or change how it happens): the requester gets an update, same UID and a
    higher SEQUENCE."""
    now = timezone.now()
    with transaction.atomic():
        ticket, locked = _lock_call(call=call)
        _require_call_organiser(actor=actor, ticket=ticket)
        duration_minutes = duration_minutes or locked.duration_minutes
        medium = medium or locked.medium
        link = _validate_call(
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            medium=medium,
            link_or_number=link_or_number if link_or_number is not None else locked.link_or_number,
            now=now,
        )
        locked.starts_at, locked.duration_minutes = starts_at, duration_minutes
        locked.medium, locked.link_or_number = medium, link
        if notes is not None:
            locked.notes = notes.strip()
        locked.sequence += 1
        locked.save()
        _call_event(call=locked, actor=actor, action="rescheduled", at=now)
        _send_call_update(call=locked, ticket=ticket)
    return locked


def call_cancel(*, call: ScheduledCall, actor: User, reason: str = "") -> ScheduledCall:
    """Cancel a call: the requester gets a cancellation (METHOD:CANCEL); a ticket held for the
    call goes back to diagnosis."""
    from tickets import services as ticket_services

    now = timezone.now()
    with transaction.atomic():
        ticket, locked = _lock_call(call=call)
        _require_call_organiser(actor=actor, ticket=ticket)
        locked.status = CallStatus.CANCELLED
        locked.sequence += 1
        release = locked.hold_until_call and locked.hold_released_at is None
        if release:
            locked.hold_released_at = now
        locked.save()
        _call_event(call=locked, actor=actor, action="cancelled", at=now, reason=reason.strip())
        if release and ticket.status == Status.ON_HOLD:
            ticket = ticket_services.ticket_resume(
                ticket=ticket, actor=actor, reason=_("The scheduled call was cancelled.")
            )
        _send_call_update(call=locked, ticket=ticket)
    return locked


def call_release_hold(*, call_id: int, now: datetime | None = None) -> bool:
    """At call time, resume the ticket a call put on hold. Once only: a conditional UPDATE
    claims the call, so a re-run or a second worker does nothing. True if this call did it."""
    from tickets import services as ticket_services

    now = now or timezone.now()
    ticket_id = ScheduledCall.objects.filter(pk=call_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        return False
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        claimed = ScheduledCall.objects.filter(
            pk=call_id,
            status=CallStatus.SCHEDULED,
            hold_until_call=True,
            hold_released_at__isnull=True,
            starts_at__lte=now,
        ).update(hold_released_at=now)
        if not claimed:
            return False
        if ticket.status == Status.ON_HOLD:
            ticket_services.ticket_resume(
                ticket=ticket, actor=None, reason=_("The scheduled call starts.")
            )
    return True


def calls_release_due_holds(*, now: datetime | None = None) -> int:
    """The beat task's body: release every due hold; returns how many this run released."""
    now = now or timezone.now()
    return sum(
        call_release_hold(call_id=call_id, now=now) for call_id in upcoming_held_calls_due(now=now)
    )
