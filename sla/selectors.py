"""Reads of the SLA app: which policy applies, calendars, and each clock's status for display."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from helpdesk.config_cache import ConfigValue
from sla.calendars import ALWAYS_OPEN, WorkingCalendar
from sla.engine import Target, TargetFor
from sla.models import Calendar, ClockState, Metric, SlaClock, SlaPolicy
from tickets.models import Category, Ticket

# --- policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRule:
    policy_id: int
    kind: str
    category_id: int | None
    organisation_id: int | None
    calendar_id: int | None
    escalate_on_breach: bool
    # priority → {metric: target}
    targets: dict[int, dict[str, timedelta]] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketFacts:
    """What policies match on, as the ticket was at one moment."""

    priority: int
    kind: str
    category_ids: frozenset[int]  # the category and its parent
    organisation_id: int | None


def policy_rules(*, fresh: bool = False) -> list[PolicyRule]:
    """Active policies in matching order (2 queries; kept per process until the configuration
    changes, helpdesk.config_cache, unless `fresh`: an audit reads the database)."""
    return _load_policy_rules() if fresh else _policy_rules.get()


def _load_policy_rules() -> list[PolicyRule]:
    rules = []
    for policy in SlaPolicy.objects.filter(is_active=True).prefetch_related("targets"):
        targets: dict[int, dict[str, timedelta]] = {
            t.priority: {
                Metric.FIRST_RESPONSE: t.first_response,
                Metric.NEXT_RESPONSE: t.next_response or t.first_response,
                Metric.RESOLUTION: t.resolution,
            }
            for t in policy.targets.all()
        }
        rules.append(
            PolicyRule(
                policy_id=policy.pk,
                kind=policy.kind,
                category_id=policy.category_id,
                organisation_id=policy.organisation_id,
                calendar_id=policy.calendar_id,
                escalate_on_breach=policy.escalate_on_breach,
                targets=targets,
            )
        )
    return rules


_policy_rules = ConfigValue(_load_policy_rules)


def match_policy(rules: Iterable[PolicyRule], facts: TicketFacts) -> PolicyRule | None:
    """The first policy whose criteria all hold and that has a target for the priority."""
    for rule in rules:
        if rule.kind and rule.kind != facts.kind:
            continue
        if rule.category_id is not None and rule.category_id not in facts.category_ids:
            continue
        if rule.organisation_id is not None and rule.organisation_id != facts.organisation_id:
            continue
        if facts.priority not in rule.targets:
            continue
        return rule
    return None


class CalendarCache:
    """Calendars by id, loaded once each (3 queries per business-hours calendar), from the
    process's calendars while the configuration is unchanged (helpdesk.config_cache)."""

    def __init__(self) -> None:
        self._calendars: dict[int | None, WorkingCalendar] | None = None

    def __call__(self, calendar_id: int | None) -> WorkingCalendar:
        if self._calendars is None:
            self._calendars = _calendars.get()
        if calendar_id not in self._calendars:
            calendar = Calendar.objects.prefetch_related("hours", "holidays").get(
                pk=calendar_id  # type: ignore[misc]
            )
            self._calendars[calendar_id] = calendar.working_calendar()
        return self._calendars[calendar_id]


# Filled as calendars are asked for; replaced by an empty one when the configuration changes.
_calendars: ConfigValue[dict[int | None, WorkingCalendar]] = ConfigValue(
    lambda: {None: ALWAYS_OPEN}
)


def category_ids(
    category_id: int | None, parents: dict[int, int | None] | None = None
) -> frozenset[int]:
    if category_id is None:
        return frozenset()
    if parents is not None:
        parent = parents.get(category_id)
    else:
        parent = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
    return frozenset({category_id} | ({parent} if parent else set()))


def target_lookup(
    *, facts: TicketFacts, rules: list[PolicyRule], calendars: CalendarCache
) -> TargetFor:
    """metric → its target under the policy matching `facts`."""
    rule = match_policy(rules, facts)

    def target_for(metric: str) -> Target | None:
        if rule is None:
            return None
        return Target(
            duration=rule.targets[facts.priority][metric],
            priority=facts.priority,
            policy_id=rule.policy_id,
            calendar_id=rule.calendar_id,
            calendar=calendars(rule.calendar_id),
        )

    return target_for


def ticket_facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        priority=ticket.priority,
        kind=ticket.kind,
        category_ids=category_ids(ticket.category_id),
        organisation_id=ticket.organisation_id,
    )


# --- clocks for display --------------------------------------------------------------------------


def sla_clocks_prefetch() -> Prefetch:
    """Add to a ticket queryset: `ticket.sla_clock_list` (1 query for the whole page)."""
    return Prefetch(
        "sla_clocks",
        queryset=SlaClock.objects.order_by("metric", "cycle"),
        to_attr="sla_clock_list",
    )


def clocks_for_ticket(*, ticket: Ticket) -> list[SlaClock]:
    prefetched: list[SlaClock] | None = getattr(ticket, "sla_clock_list", None)
    if prefetched is not None:
        return prefetched
    return list(SlaClock.objects.filter(ticket=ticket).order_by("metric", "cycle"))


METRIC_ORDER = [Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE, Metric.RESOLUTION]


def current_clocks(clocks: Iterable[SlaClock]) -> list[SlaClock]:
    """The latest cycle of each metric, in display order."""
    latest: dict[str, SlaClock] = {}
    for clock in clocks:
        if clock.metric not in latest or clock.cycle > latest[clock.metric].cycle:
            latest[clock.metric] = clock
    return [latest[m] for m in METRIC_ORDER if m in latest]


def clock_read_at(clock: SlaClock, *, now: datetime) -> datetime:
    """The instant a clock's time left is counted to: its pause while paused (the time left is
    frozen), its stop once stopped, else now. Reads `stopped_at` only of a clock neither
    running nor paused."""
    if clock.state == ClockState.PAUSED:
        return clock.paused_since or now
    if clock.state == ClockState.RUNNING:
        return now
    return clock.stopped_at or now


def clock_status(clock: SlaClock, *, now: datetime) -> dict[str, Any]:
    """What the API and the countdown show for one clock."""
    reference = clock_read_at(clock, now=now)
    remaining = clock.due_at - reference
    is_open = clock.state in (ClockState.RUNNING, ClockState.PAUSED)
    # Running: overdue once past its due time (stopped at it, it is met). Paused: overdue if the
    # pause began at or after its due time, which such a pause never moves (DESIGN.md, "Exact
    # rules"): it can only stop late now, and the sweep records its breach (engine.reached_level).
    if clock.state == ClockState.PAUSED:
        overdue = remaining <= timedelta(0)
    else:
        overdue = clock.state == ClockState.BREACHED or (is_open and remaining < timedelta(0))
    return {
        "metric": clock.metric,
        "cycle": clock.cycle,
        "state": clock.state,
        "priority": clock.priority,
        "target_seconds": int(clock.target.total_seconds()),
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "at_risk_at": clock.at_risk_at,
        "stopped_at": clock.stopped_at,
        "paused_seconds": int(clock.paused.total_seconds()),
        "remaining_seconds": int(remaining.total_seconds()) if is_open else None,
        "at_risk": is_open and not overdue and clock.at_risk_at <= reference,
        "breached": overdue,
    }


def ticket_sla_status(*, ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    return [clock_status(c, now=now) for c in current_clocks(clocks_for_ticket(ticket=ticket))]


# --- list filters --------------------------------------------------------------------------------


def sla_breached_filter(*, now: datetime) -> Exists:
    """Tickets with a clock breached, running past its due time (at it, a stop is still met),
    or paused at or after it (as `clock_status` says)."""
    overdue = Q(state=ClockState.BREACHED) | Q(state=ClockState.RUNNING, due_at__lt=now)
    paused_overdue = Q(state=ClockState.PAUSED, due_at__lte=F("paused_since"))
    return Exists(SlaClock.objects.filter(Q(ticket=OuterRef("pk")) & (overdue | paused_overdue)))


def sla_at_risk_filter(*, now: datetime) -> Exists:
    """Tickets with an open clock past 75 % of its target and not yet due."""
    running = Q(state=ClockState.RUNNING, at_risk_at__lte=now, due_at__gte=now)
    paused = Q(
        state=ClockState.PAUSED,
        at_risk_at__lte=F("paused_since"),
        due_at__gt=F("paused_since"),
    )
    return Exists(SlaClock.objects.filter(Q(ticket=OuterRef("pk")) & (running | paused)))
