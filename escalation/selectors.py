"""Reads for tiers and escalation (`agent_tiers` lives in escalation.membership, below the
ticket core; it is re-exported here for the views that read it with the rest)."""

from collections import defaultdict
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from escalation.membership import agent_tiers
from escalation.models import (
    CallStatus,
    OnCallShift,
    RoutingRule,
    ScheduledCall,
    SupportGroup,
    Tier,
)
from escalation.rules import Rule
from helpdesk.config_cache import ConfigValue
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.models_choices import RESOLUTION_CODES
from tickets.selectors import ticket_get_for_user


def works_on_ticket(*, user: User, ticket: Ticket) -> bool:
    """An agent of the ticket's tier, or its assignee: who may act on it."""
    return (
        user.is_authenticated
        and user.is_agent
        and (ticket.tier in agent_tiers(user=user) or ticket.assignee_id == user.pk)
    )


CALL_TIERS = frozenset({Tier.L2, Tier.L3})
CALL_STATES = frozenset({Status.PRIORITIZED, Status.IN_DIAGNOSIS, Status.ON_HOLD, Status.ESCALATED})


def can_schedule_calls(*, user: User, ticket: Ticket) -> bool:
    """L2 and L3 agents who work on the ticket (whatever its state)."""
    return works_on_ticket(user=user, ticket=ticket) and bool(agent_tiers(user=user) & CALL_TIERS)


def agents_of_tier(*, tier: int) -> QuerySet[User]:
    return (
        User.objects.filter(role=Role.AGENT, is_active=True, support_groups__tier=tier)
        .distinct()
        .order_by("display_name", "username")
    )


# --- support groups, rota, rules -------------------------------------------------------------


def support_group_list() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.select_related("lead").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("display_name", "username"))
    )


def oncall_agents(*, tier: int, at: datetime) -> list[User]:
    """The active agents on call for `tier` at the instant `at` (start inclusive, end exclusive)."""
    return list(
        User.objects.filter(
            role=Role.AGENT,
            is_active=True,
            oncall_shifts__tier=tier,
            oncall_shifts__starts_at__lte=at,
            oncall_shifts__ends_at__gt=at,
        )
        .distinct()
        .order_by("pk")
    )


def oncall_shift_list(*, since: datetime | None = None) -> QuerySet[OnCallShift]:
    """Shifts that have not ended by `since` (default: now), soonest first."""
    since = since or timezone.now()
    return OnCallShift.objects.filter(ends_at__gt=since).select_related("agent")


def routing_rule_list() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("category__parent", "target_group")


def routing_rules_for_evaluation() -> list[Rule]:
    """The active rules, in evaluation order, as the pure evaluator's values (kept per process
    until the configuration changes: helpdesk.config_cache)."""
    return _routing_rules.get()


def _load_routing_rules() -> list[Rule]:
    return [
        Rule(
            id=rule.pk,
            target_tier=rule.target_tier,
            target_group_id=rule.target_group_id,
            target_group_tier=rule.target_group.tier if rule.target_group else None,
            category_id=rule.category_id,
            kind=rule.kind,
            priority=rule.priority,
        )
        for rule in RoutingRule.objects.filter(is_active=True).select_related("target_group")
    ]


_routing_rules = ConfigValue(_load_routing_rules)


# --- time in tier and first-contact resolution ----------------------------------------------


def tier_seconds(
    *, created_at: datetime, events: list[TicketEvent], now: datetime
) -> dict[int, float]:
    """Seconds the ticket spent open at each tier, from its events (pure).

    The clock runs from creation until `resolved` or `closed`, and again from a reopen; the tier
    changes at every event whose `changes` has "tier" (escalation, de-escalation, routing).
    """
    seconds: dict[int, float] = defaultdict(float)
    tier, running, since = int(Tier.L1), True, created_at
    for event in events:
        if running:
            seconds[tier] += (event.created_at - since).total_seconds()
        since = event.created_at
        change = event.changes.get("tier") if event.changes else None
        if change:
            tier = int(change[1])
        if event.to_status in (Status.RESOLVED, Status.CLOSED):
            running = False
        elif event.kind == EventKind.TRANSITION and event.transition == "reopen":
            running = True
    if running:
        seconds[tier] += max((now - since).total_seconds(), 0.0)
    return {t: seconds.get(t, 0.0) for t in Tier.values}


def time_in_tier(*, ticket: Ticket, now: datetime | None = None) -> dict[int, float]:
    """Seconds spent per tier (1, 2, 3) while open; one query."""
    events = list(
        ticket.events.only("created_at", "kind", "transition", "to_status", "changes").order_by(
            "created_at", "id"
        )
    )
    return tier_seconds(created_at=ticket.created_at, events=events, now=now or timezone.now())


def is_first_contact_resolution(ticket: Ticket) -> bool:
    """Resolved at L1 and never at another tier (escalated, or routed up); one query at most."""
    resolved = ticket.resolved_at is not None or ticket.closure_code in RESOLUTION_CODES
    if not resolved or ticket.tier != Tier.L1 or ticket.escalation_count:
        return False
    return not ticket.events.filter(changes__has_key="tier").exists()


# --- calls ---------------------------------------------------------------------------------


def ticket_calls(*, ticket: Ticket) -> QuerySet[ScheduledCall]:
    """A ticket's calls, scheduled ones first, soonest first. The caller passed the gate."""
    return ticket.calls.select_related("organiser").order_by("status", "starts_at", "id")  # type: ignore[attr-defined]


def call_get_for_user(*, user: User, call_id: int) -> ScheduledCall:
    """A call on a ticket the user may read (the ticket gate), or 404."""
    try:
        call = ScheduledCall.objects.select_related("organiser").get(pk=call_id)
    except (ScheduledCall.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such call.")) from None
    call.ticket = ticket_get_for_user(user=user, ticket_id=call.ticket_id)
    return call


def upcoming_held_calls_due(*, now: datetime, limit: int = 200) -> list[int]:
    """Ids of calls holding their ticket whose start has come (uses call_hold_due_idx)."""
    return list(
        ScheduledCall.objects.filter(
            status=CallStatus.SCHEDULED,
            hold_until_call=True,
            hold_released_at__isnull=True,
            starts_at__lte=now,
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)[:limit]
    )
