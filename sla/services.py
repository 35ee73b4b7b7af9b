"""Writes of the SLA app: the hooks the ticket services call, the audit rebuild, policy edits.

The hooks run inside the caller's transaction, after the ticket row is locked, so a clock
changes together with the ticket change that moved it, or not at all.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from sla.engine import Signal, TargetFor, TicketClocks, next_alert_at
from sla.models import LEVEL_KINDS, Metric, SlaClock, SlaEvent, SlaPolicy, SlaTarget
from sla.outcomes import Dimensions, outcomes_record, verdicts_of_stopped
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
MUTABLE_FIELDS = [
    "priority",
    "policy",
    "calendar",
    "target",
    "paused",
    "paused_since",
    "at_risk_at",
    "warning_at",
    "due_at",
    "stopped_at",
    "state",
    "next_alert_at",
    "updated_at",
]
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
        SlaClock.objects.bulk_create(new)
    if created:
        # What the new ticket's page or API answer shows, without reading it back.
        ticket.sla_clock_list = sorted(new, key=lambda c: (c.metric, c.cycle))  # type: ignore[attr-defined]
    outcomes_record(
        verdicts=verdicts_of_stopped(changed), dimensions={ticket.pk: Dimensions.of(ticket)}
    )
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
    """What a rebuild of many tickets shares: policies, calendars, category parents."""

    def __init__(self) -> None:
        self.rules: list[PolicyRule] = policy_rules(fresh=True)
        self.calendars = CalendarCache()
        self.parents: dict[int, int | None] = dict(Category.objects.values_list("id", "parent_id"))


def clocks_replay(
    *, ticket: Ticket, context: ReplayContext | None = None, trace: list[str] | None = None
) -> list[SlaClock]:
    """The ticket's clocks as its events and comments say they should be (unsaved)."""
    context = context or ReplayContext()
    events = list(ticket.events.order_by("created_at", "id"))
    comments = list(
        ticket.comments.order_by("created_at", "id").values_list(
            "created_at", "id", "author_id", "is_internal"
        )
    )
    # Attributes policies match on, as they were at creation: the old value of each first change.
    facts: dict[str, Any] = {
        "priority": ticket.priority,
        "category_id": ticket.category_id,
        "kind": ticket.kind,
    }
    for name in facts:
        for event in events:
            if name in event.changes:
                facts[name] = event.changes[name][0]
                break

    timeline: list[tuple[datetime, int, int, Callable[[], None]]] = []
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
            for name in RECLASSIFY_FIELDS & set(event.changes):
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
            signal = reply_signal(
                author_id=author_id, is_internal=is_internal, requester_id=ticket.requester_id
            )
            if signal is not None:
                engine.apply(signal, at=at, target_for=targets())

        return run

    # At the same instant (frozen clocks, one transaction) events go before messages: a reply
    # after a reprioritisation stops the recomputed clock, and what a requester's message causes
    # (resume, reopen) is independent of the next-response clock it starts.
    for event in events:
        order = 0 if event.kind == EventKind.CREATED else 1
        timeline.append((event.created_at, order, event.pk, on_event(event)))
    for at, pk, author_id, is_internal in comments:
        timeline.append((at, 2, pk, on_comment(at, author_id, is_internal)))
    timeline.sort(key=lambda item: item[:3])
    for *_ignored, run in timeline:
        run()

    # Thresholds already recorded stay recorded: the sweep only looks for higher ones.
    recorded: dict[tuple[str, int], int] = {}
    levels: dict[str, int] = {kind: level for level, kind in LEVEL_KINDS.items()}
    for metric, cycle, kind in SlaEvent.objects.filter(ticket=ticket).values_list(
        "metric", "cycle", "kind"
    ):
        key = (metric, cycle)
        recorded[key] = max(recorded.get(key, 0), levels[kind])
    for clock in engine.clocks:
        clock.alert_level = recorded.get((clock.metric, clock.cycle), 0)
        clock.next_alert_at = next_alert_at(clock)
    return engine.clocks


def clocks_rebuild(*, ticket: Ticket, context: ReplayContext | None = None) -> list[SlaClock]:
    """Replace the ticket's clocks by the replay of its history (after a policy change)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        clocks = clocks_replay(ticket=locked, context=context)
        SlaClock.objects.filter(ticket=locked).delete()
        SlaClock.objects.bulk_create(clocks)
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


def _validate_targets(targets: list[dict[str, Any]]) -> None:
    seen: set[int] = set()
    for target in targets:
        if target["priority"] in seen:
            raise DomainError(_("One target per priority."), field="targets")
        seen.add(target["priority"])
        for name in ("first_response", "next_response", "resolution"):
            value = target.get(name)
            if value is not None and value <= timedelta(0):
                raise DomainError(_("Targets must be longer than zero."), field="targets")


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
    policy.delete()
