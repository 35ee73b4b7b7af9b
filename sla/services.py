"""Writes of the SLA app: the hooks the ticket services call, the audit rebuild, policy edits.

The hooks run inside the caller's transaction, after the ticket row is locked, so a clock
changes together with the ticket change that moved it, or not at all.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, cast

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from helpdesk.inserts import insert_rows
from ola.models import OlaTarget
from ola.services import ola_clocks_on_event
from sla.calendars import business_hours
from sla.clock_rows import CLOCK_TIME_FIELDS
from sla.engine import Signal, TargetFor, TicketClocks, next_alert_at, reached_level
from sla.models import (
    LEVEL_KINDS,
    OPEN_CLOCK_STATES,
    TARGET_FIELDS,
    Calendar,
    Metric,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    Weekday,
    calendar_hours_of,
    hours_reach,
    target_error,
    target_order_error,
)
from sla.outcomes import BREACH_LEVEL, Dimensions, outcomes_revise, verdict_of
from sla.selectors import (
    CalendarCache,
    PolicyRule,
    TicketFacts,
    category_ids,
    policy_rules,
    target_lookup,
    ticket_facts,
)
from tickets.models import Category, Comment, EventKind, Status, Ticket, TicketEvent

# A change to any of these may change the matching policy or the target.
RECLASSIFY_FIELDS = {"priority", "category_id", "kind"}
# What the hooks may change on an existing clock.
MUTABLE_FIELDS = ["priority", "policy", "calendar", "target", *CLOCK_TIME_FIELDS, "updated_at"]
_COMPARED = [f for f in MUTABLE_FIELDS if f not in ("policy", "calendar", "updated_at")] + [
    "policy_id",
    "calendar_id",
]


# --- which signals a ticket change sends -------------------------------------------------------


def signals_for_event(event: TicketEvent) -> list[Signal]:
    """The clock signals of one ticket event (state-based, so new transitions need no code)."""
    if event.kind == EventKind.CREATED:
        return [Signal.CREATED]
    signals = []
    if RECLASSIFY_FIELDS & set(event.changes):
        signals.append(Signal.RECLASSIFIED)
    if event.kind == EventKind.TRANSITION and event.from_status != event.to_status:
        source, target = event.from_status, event.to_status
        if target == Status.CLOSED:
            signals.append(Signal.CANCEL)
        elif target == Status.ON_HOLD:
            signals.append(Signal.HOLD)
        elif target == Status.RESOLVED:
            signals.append(Signal.RESOLVE)
        elif source == Status.ON_HOLD:
            signals.append(Signal.RESUME)
        elif source == Status.RESOLVED:
            signals.append(Signal.REOPEN)
    return signals


def reply_signal(*, author_id: int, is_internal: bool, requester_id: int) -> Signal | None:
    if author_id == requester_id:
        return Signal.REQUESTER_REPLY
    if not is_internal:
        return Signal.AGENT_REPLY  # internal notes never count as a response
    return None


# --- the hooks -----------------------------------------------------------------------------------


def clocks_on_event(
    *, ticket: Ticket, event: TicketEvent, at: datetime, save_ticket: bool = True
) -> list[str]:
    """Move the ticket's clocks after a change (creation, transition, reclassification).

    Call inside the transaction that locked the ticket. The event may be unsaved (only what it
    says is read). Returns the ticket fields the clocks set (`time_to_resolve` on a resolve):
    saved here, or with `save_ticket=False` left for the caller's own UPDATE of the ticket.
    """
    # The tiers' OLA clocks (issue 22) move with the same ticket changes.
    ola_clocks_on_event(ticket=ticket, event=event, at=at)
    signals = signals_for_event(event)
    if not signals:
        return []
    return _apply(ticket=ticket, signals=signals, at=at, save_ticket=save_ticket)


def clocks_on_reply(*, ticket: Ticket, comment: Comment, at: datetime) -> None:
    """A public agent reply stops the response clocks; a requester's message may start one."""
    signal = reply_signal(
        author_id=comment.author_id,
        is_internal=comment.is_internal,
        requester_id=ticket.requester_id,
    )
    if signal is not None:
        _apply(ticket=ticket, signals=[signal], at=at)


def _lazy_targets(ticket: Ticket, calendars: CalendarCache) -> TargetFor:
    """Load the policies only if a signal needs a target (most replies don't)."""
    loaded: list[TargetFor] = []

    def target_for(metric: str) -> Any:
        if not loaded:
            facts = ticket_facts(ticket)
            loaded.append(target_lookup(facts=facts, rules=policy_rules(), calendars=calendars))
        return loaded[0](metric)

    return target_for


def _fingerprint(clock: SlaClock) -> tuple[Any, ...]:
    return tuple(getattr(clock, name) for name in _COMPARED)


def _apply(
    *, ticket: Ticket, signals: list[Signal], at: datetime, save_ticket: bool = True
) -> list[str]:
    created = signals == [Signal.CREATED]
    # Locked so the sweep (which skips locked clocks) never works on a clock being changed.
    # A ticket being created has none yet.
    clocks = (
        []
        if created
        else list(
            SlaClock.objects.select_for_update()
            .filter(ticket_id=ticket.pk)
            .order_by("metric", "cycle")
        )
    )
    before = {clock.pk: _fingerprint(clock) for clock in clocks}
    # A clock may have a verdict recorded if it was stopped or its breach was recorded.
    had_verdict = {c.pk for c in clocks if not c.is_open or c.alert_level >= BREACH_LEVEL}
    calendars = CalendarCache()
    engine = TicketClocks(
        clocks=clocks,
        ticket_id=ticket.pk,
        first_response_done=ticket.first_response_at is not None,
        calendar_for=calendars,
    )
    target_for = _lazy_targets(ticket, calendars)
    for signal in signals:
        engine.apply(signal, at=at, target_for=target_for)
    new: list[SlaClock] = []
    changed: list[SlaClock] = []
    for clock in engine.clocks:
        if clock.pk is None:
            new.append(clock)
        elif _fingerprint(clock) != before[clock.pk]:
            clock.updated_at = timezone.now()
            changed.append(clock)
    if changed:  # one statement however many clocks changed
        SlaClock.objects.bulk_update(changed, MUTABLE_FIELDS)
    if new:
        insert_rows(new)
    if created:
        # What the new ticket's page or API answer shows, without reading it back.
        ticket.sla_clock_list = sorted(new, key=lambda c: (c.metric, c.cycle))  # type: ignore[attr-defined]
    # Verdicts follow the clocks: one stopped in time is met; one a new target moves is
    # revised (or no longer breached). Only clocks that have or get a verdict are looked up.
    revise = [c for c in changed if c.pk in had_verdict or verdict_of(c, now=at) is not None]
    outcomes_revise(clocks=revise, now=at, dimensions={ticket.pk: Dimensions.of(ticket)})
    if Signal.RESOLVE in signals and ticket.resolved_at is not None:
        _set_time_to_resolve(ticket=ticket, clocks=engine.clocks, save=save_ticket)
        return ["time_to_resolve"]
    return []


def _set_time_to_resolve(*, ticket: Ticket, clocks: list[SlaClock], save: bool = True) -> None:
    """Resolved − created − the time every resolution cycle spent paused (on hold)."""
    paused = sum((c.paused for c in clocks if c.metric == Metric.RESOLUTION), timedelta(0))
    assert ticket.resolved_at is not None  # noqa: S101 (checked by the caller)
    ticket.time_to_resolve = ticket.resolved_at - ticket.created_at - paused
    if save:
        Ticket.objects.filter(pk=ticket.pk).update(time_to_resolve=ticket.time_to_resolve)


# --- the audit: rebuild every clock from the ticket's events -------------------------------------


class ReplayContext:
    """What a rebuild of many tickets shares: policies, calendars, category parents, and the
    accounts whose messages are automatic (monitoring integrations' notes never go through the
    reply hook: they are no one writing and waiting for an answer)."""

    def __init__(self) -> None:
        self.rules: list[PolicyRule] = policy_rules(fresh=True)
        self.calendars = CalendarCache()
        self.parents: dict[int, int | None] = dict(Category.objects.values_list("id", "parent_id"))
        integration = apps.get_model("integrations", "Integration")
        self.automatic_authors: set[int] = set(
            integration.objects.values_list("service_account_id", flat=True)
        )


@dataclass
class History:
    """What a replay reads of one ticket: its events, its messages as (time, write order, id,
    author, internal), and the highest threshold the sweep recorded per (metric, cycle)."""

    events: list[TicketEvent]
    comments: list[tuple[datetime, int | None, int, int, bool]]
    recorded: dict[tuple[str, int], int]


COMMENT_FIELDS = ("created_at", "seq", "id", "author_id", "is_internal")
# What a replay reads of the ticket itself.
REPLAY_TICKET_FIELDS = ("id", "priority", "category_id", "kind", "requester_id", "organisation_id")
EVENT_FIELDS = (
    *("id", "ticket_id", "created_at", "seq", "kind"),
    *("transition", "from_status", "to_status", "changes"),
)


def recorded_levels(rows: Iterable[tuple[str, int, str]]) -> dict[tuple[str, int], int]:
    """(metric, cycle, kind) of SlaEvents → the highest level recorded per (metric, cycle)."""
    levels: dict[str, int] = {kind: level for level, kind in LEVEL_KINDS.items()}
    recorded: dict[tuple[str, int], int] = {}
    for metric, cycle, kind in rows:
        recorded[(metric, cycle)] = max(recorded.get((metric, cycle), 0), levels[kind])
    return recorded


def history_of(ticket: Ticket) -> History:
    """One ticket's history (3 queries); `sla_verify` loads many at once instead."""
    return History(
        events=list(ticket.events.only(*EVENT_FIELDS).order_by("created_at", "id")),
        comments=list(ticket.comments.order_by("created_at", "id").values_list(*COMMENT_FIELDS)),
        recorded=recorded_levels(
            SlaEvent.objects.filter(ticket=ticket).values_list("metric", "cycle", "kind")
        ),
    )


def histories_of(ticket_ids: list[int]) -> dict[int, History]:
    """Many tickets' histories in 3 queries (`sla_verify`, benches)."""
    events: defaultdict[int, list[TicketEvent]] = defaultdict(list)
    for event in (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .only(*EVENT_FIELDS)
        .order_by("ticket_id", "created_at", "id")
    ):
        events[event.ticket_id].append(event)
    comments: defaultdict[int, list[Any]] = defaultdict(list)
    for ticket_id, *row in (
        Comment.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", *COMMENT_FIELDS)
    ):
        comments[ticket_id].append(tuple(row))
    sla_events: defaultdict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for ticket_id, metric, cycle, kind in SlaEvent.objects.filter(
        ticket_id__in=ticket_ids
    ).values_list("ticket_id", "metric", "cycle", "kind"):
        sla_events[ticket_id].append((metric, cycle, kind))
    return {
        pk: History(
            events=events[pk], comments=comments[pk], recorded=recorded_levels(sla_events[pk])
        )
        for pk in ticket_ids
    }


def _write_order(at: datetime, seq: int | None, rank: int, pk: int) -> tuple[Any, ...]:
    """Time order; at one instant, the order rows were written in (the sequence events and
    comments share). Rows from before it was kept: events before messages, then by id."""
    return (at, -1 if seq is None else seq, rank, pk)


def clocks_replay(
    *,
    ticket: Ticket,
    context: ReplayContext | None = None,
    trace: list[str] | None = None,
    history: History | None = None,
    now: datetime | None = None,
) -> list[SlaClock]:
    """The ticket's clocks as its events and comments say they should be (unsaved).

    Alert levels are those the sweep recorded, less any a new target has put back in the
    future (as of `now`): the sweep records those again when they pass.
    """
    context = context or ReplayContext()
    history = history or history_of(ticket)
    now = now or timezone.now()
    events = history.events
    # Attributes policies match on, as they were at creation: the old value of each first change.
    facts: dict[str, Any] = {
        "priority": ticket.priority,
        "category_id": ticket.category_id,
        "kind": ticket.kind,
        "requester_id": ticket.requester_id,
    }
    for name in facts:
        for event in events:
            if name in event.changes:
                facts[name] = event.changes[name][0]
                break

    timeline: list[tuple[tuple[Any, ...], Callable[[], None]]] = []
    engine = TicketClocks(
        clocks=[],
        ticket_id=ticket.pk,
        first_response_done=False,
        calendar_for=context.calendars,
        trace=trace,
    )

    def targets() -> TargetFor:
        return target_lookup(
            facts=TicketFacts(
                priority=facts["priority"],
                kind=facts["kind"],
                category_ids=category_ids(facts["category_id"], context.parents),
                organisation_id=ticket.organisation_id,
            ),
            rules=context.rules,
            calendars=context.calendars,
        )

    def on_event(event: TicketEvent) -> Callable[[], None]:
        def run() -> None:
            for name in (RECLASSIFY_FIELDS | {"requester_id"}) & set(event.changes):
                facts[name] = event.changes[name][1]
            for signal in signals_for_event(event):
                if signal == Signal.RECLASSIFIED:
                    note = ", ".join(
                        f"{name} {event.changes[name][0]} → {event.changes[name][1]}"
                        for name in sorted(RECLASSIFY_FIELDS & set(event.changes))
                    )
                elif event.transition:
                    note = f"{event.transition}: {event.from_status} → {event.to_status}"
                else:
                    note = ""
                engine.apply(signal, at=event.created_at, target_for=targets(), note=note)

        return run

    def on_comment(at: datetime, author_id: int, is_internal: bool) -> Callable[[], None]:
        def run() -> None:
            if author_id in context.automatic_authors:
                return
            # Who the requester was then: a guest's ticket may have been claimed since.
            signal = reply_signal(
                author_id=author_id, is_internal=is_internal, requester_id=facts["requester_id"]
            )
            if signal is not None:
                engine.apply(signal, at=at, target_for=targets())

        return run

    # In the order the hooks ran: by time, and at one instant as written (a reply written
    # before a priority raise stopped the clock before its new target applied).
    for event in events:
        rank = 0 if event.kind == EventKind.CREATED else 1
        timeline.append(
            (_write_order(event.created_at, event.seq, rank, event.pk), on_event(event))
        )
    for at, seq, pk, author_id, is_internal in history.comments:
        timeline.append((_write_order(at, seq, 2, pk), on_comment(at, author_id, is_internal)))
    timeline.sort(key=lambda item: item[0])
    for _order, run in timeline:
        run()

    # Thresholds already recorded stay recorded; one a new target moved back into the future
    # is owed again (the live hooks lower the level the same way when they retarget).
    for clock in engine.clocks:
        level = history.recorded.get((clock.metric, clock.cycle), 0)
        if clock.state in OPEN_CLOCK_STATES:
            level = min(level, reached_level(clock, now))
        clock.alert_level = level
        clock.next_alert_at = next_alert_at(clock)
    return engine.clocks


def clocks_rebuild(*, ticket: Ticket, context: ReplayContext | None = None) -> list[SlaClock]:
    """Replace the ticket's clocks by the replay of its history (after a policy change), and
    revise their verdicts."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = timezone.now()
        clocks = clocks_replay(ticket=locked, context=context, now=now)
        SlaClock.objects.filter(ticket=locked).delete()
        SlaClock.objects.bulk_create(clocks)
        # Verdicts follow the rebuilt clocks (a stale one revised or removed, days recounted).
        outcomes_revise(
            clocks=clocks,
            now=now,
            dimensions={locked.pk: Dimensions.of(locked)},
            whole_tickets=True,
        )
        if locked.resolved_at is not None:
            _set_time_to_resolve(ticket=locked, clocks=clocks)
    return clocks


# --- policies (managers) -------------------------------------------------------------------------

POLICY_FIELDS = {
    "name",
    "position",
    "is_active",
    "kind",
    "category",
    "organisation",
    "calendar",
    "escalate_on_breach",
}


def _require_manager(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_manager):
        raise PermissionDenied(_("Only managers can change SLA policies."))


# --- target durations and the business hours that must reach them (API and admin alike) ---------


def _validate_targets(targets: list[dict[str, Any]]) -> None:
    seen: set[int] = set()
    for target in targets:
        if target["priority"] in seen:
            raise DomainError(_("One target per priority."), field="targets")
        seen.add(target["priority"])
        for name in TARGET_FIELDS:
            error = target_error(target.get(name))
            if error:
                raise DomainError(error, field="targets")
        error = target_order_error(
            priority=target["priority"],
            first_response=target.get("first_response"),
            next_response=target.get("next_response"),
            resolution=target.get("resolution"),
        )
        if error:
            raise DomainError(error, field="targets")


def _check_calendar_reaches(*, policy: SlaPolicy, targets: list[dict[str, Any]] | None) -> None:
    """The policy's business hours reach each of its targets (the new ones, or those kept)."""
    calendar = policy.calendar
    if calendar is None:
        return
    if targets is None:
        targets = [dict(row) for row in policy.targets.values()] if policy.pk else []
    amounts = {t.get(name) for t in targets for name in TARGET_FIELDS}
    longest = max((amount for amount in amounts if amount is not None), default=None)
    error = target_error(longest, hours=calendar_hours_of(calendar))
    if error:
        raise DomainError(error, field="targets")


@dataclass(frozen=True)
class CalendarTarget:
    """A target counted in a calendar's business hours, named as the person editing it sees it."""

    name: str
    amount: timedelta


def _field_label(model: type[Model], name: str) -> str:
    return str(cast("Field[Any, Any]", model._meta.get_field(name)).verbose_name)


def calendar_targets(*, calendar: Calendar) -> list[CalendarTarget]:
    """The SLA and OLA targets counted in this calendar's hours, longest first (two queries)."""
    if calendar.pk is None:
        return []
    found: list[CalendarTarget] = []
    sla = SlaTarget.objects.filter(policy__calendar=calendar).select_related("policy")
    for target in sla:
        for name in TARGET_FIELDS:
            amount = getattr(target, name)
            if amount is not None:
                what = _field_label(SlaTarget, name)
                found.append(
                    CalendarTarget(
                        _("%(what)s of %(priority)s in the SLA policy “%(policy)s”")
                        % {
                            "what": what,
                            "priority": target.get_priority_display(),
                            "policy": target.policy.name,
                        },
                        amount,
                    )
                )
    for ola in OlaTarget.objects.filter(calendar=calendar):
        for name in ("take_within", "handoff_within"):
            amount = getattr(ola, name)
            if amount is not None:
                what = _field_label(OlaTarget, name)
                found.append(
                    CalendarTarget(
                        _("OLA “%(what)s” of %(priority)s for %(tier)s")
                        % {
                            "what": what,
                            "priority": ola.get_priority_display(),
                            "tier": ola.get_tier_display(),
                        },
                        amount,
                    )
                )
    return sorted(found, key=lambda target: target.amount, reverse=True)


def _refuse_overlapping_hours(weekly: dict[int, list[tuple[time, time]]]) -> None:
    """Two intervals of one weekday that overlap (09:00–13:00 and 12:00–17:00) were saved: the
    arithmetic merges them, but the manager's hours are not what the page shows. Back-to-back
    intervals (09:00–13:00, 13:00–17:00) are fine; closing at 00:00 means at midnight."""
    for weekday in sorted(weekly):
        intervals = sorted(weekly[weekday])
        for (opens, closes), (next_opens, next_closes) in pairwise(intervals):
            if closes == time(0) or next_opens < closes:
                raise DomainError(
                    _("Two opening intervals overlap on %(weekday)s: %(first)s and %(second)s.")
                    % {
                        "weekday": Weekday(weekday).label,
                        "first": f"{opens:%H:%M}–{closes:%H:%M}",
                        "second": f"{next_opens:%H:%M}–{next_closes:%H:%M}",
                    },
                    field="hours",
                )


def calendar_hours_check(
    *,
    calendar: Calendar,
    weekly: dict[int, list[tuple[time, time]]],
    holidays: set[date],
) -> None:
    """The opening hours and holidays a calendar is about to get still reach every target kept
    on it, or DomainError naming the longest one they do not reach. A holiday season added to
    sparse hours, like hours cut back, otherwise left each ticket of the policy without a due
    time (a 500 on every create)."""
    try:
        hours = business_hours(time_zone=calendar.time_zone, weekly=weekly, holidays=holidays)
    except ValueError:
        raise DomainError(
            _("A calendar needs at least one opening interval."), field="hours"
        ) from None
    _refuse_overlapping_hours(weekly)
    targets = calendar_targets(calendar=calendar)
    if targets and not hours_reach(hours, targets[0].amount):  # the shorter ones then too
        raise DomainError(
            _(
                "With these opening hours and holidays the target %(target)s is not reached "
                "within three years: remove holidays, add opening hours or shorten the target."
            )
            % {"target": targets[0].name},
            field="holidays",
        )


def policy_save(
    *,
    actor: User,
    policy: SlaPolicy | None = None,
    fields: dict[str, Any],
    targets: list[dict[str, Any]] | None = None,
) -> SlaPolicy:
    """Create or change a policy and (if given) replace its targets.

    Running clocks keep their targets until the next priority change or `sla_recompute`.
    """
    _require_manager(actor)
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise DomainError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if targets is not None:
        _validate_targets(targets)
    with transaction.atomic():
        policy = policy or SlaPolicy()
        for name, value in fields.items():
            setattr(policy, name, value)
        if not policy.name.strip():
            raise DomainError(_("A name is required."), field="name")
        if SlaPolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
            raise DomainError(_("A policy with this name exists."), field="name")
        _check_calendar_reaches(policy=policy, targets=targets)
        policy_coverage_check(policy=policy, targets=targets)
        policy.save()
        if targets is not None:
            policy.targets.all().delete()
            SlaTarget.objects.bulk_create(
                SlaTarget(
                    policy=policy,
                    priority=t["priority"],
                    first_response=t["first_response"],
                    next_response=t.get("next_response"),
                    resolution=t["resolution"],
                )
                for t in targets
            )
    return policy


def policy_delete(*, actor: User, policy: SlaPolicy) -> None:
    _require_manager(actor)
    with transaction.atomic():
        policies_deletion_check(policies=[policy])
        policy.delete()


def _covered_priorities(policies: Iterable[SlaPolicy]) -> set[int]:
    """The priorities for which one of these policies takes every ticket (no kind, category or
    organisation of its own, active, a target for the priority)."""
    ids = [p.pk for p in policies if p.is_active and _takes_every_ticket(p)]
    return set(SlaTarget.objects.filter(policy_id__in=ids).values_list("priority", flat=True))


def _takes_every_ticket(policy: SlaPolicy) -> bool:
    return not policy.kind and policy.category_id is None and policy.organisation_id is None


def _refuse_lost_coverage(*, before: set[int], after: set[int], field: str | None) -> None:
    """New tickets of a priority covered before and not after would silently get no clocks. A
    gap that was there before the change is not this change's to refuse."""
    lost = sorted(before - after)
    if lost:
        raise DomainError(
            _(
                "Tickets of %(priorities)s would get no SLA clocks: this is the only policy that "
                "takes every ticket of that priority. Make another policy take them first."
            )
            % {"priorities": ", ".join(f"P{priority}" for priority in lost)},
            field=field,
        )


def policy_coverage_check(
    *, policy: SlaPolicy, targets: list[dict[str, Any]] | None = None
) -> None:
    """Refuses saving `policy` as it is now (with `targets` when they are replaced) if it was the
    last one to take every ticket of some priority and no longer does."""
    others = SlaPolicy.objects.exclude(pk=policy.pk) if policy.pk else SlaPolicy.objects.all()
    covered_by_others = _covered_priorities(others)
    before = covered_by_others | (
        _covered_priorities(SlaPolicy.objects.filter(pk=policy.pk)) if policy.pk else set()
    )
    after = covered_by_others
    if policy.is_active and _takes_every_ticket(policy):
        if targets is not None:
            after = after | {int(t["priority"]) for t in targets}
        elif policy.pk:
            after = after | set(policy.targets.values_list("priority", flat=True))
    _refuse_lost_coverage(before=before, after=after, field="is_active")


def policies_deletion_check(*, policies: Iterable[SlaPolicy]) -> None:
    """Refuses deleting these policies together if, without them, some priority that every
    ticket had clocks for would have none (two catch-all policies deleted at once included)."""
    gone = {policy.pk for policy in policies}
    everyone = list(SlaPolicy.objects.all())
    _refuse_lost_coverage(
        before=_covered_priorities(everyone),
        after=_covered_priorities(p for p in everyone if p.pk not in gone),
        field=None,
    )
