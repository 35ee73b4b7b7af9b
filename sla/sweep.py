"""The SLA sweep: record the thresholds clocks passed, then apply each record's effects, once.

1. Record (`sla_record_due`): claim due clocks in batches with `SELECT … FOR UPDATE SKIP
   LOCKED` on the partial index, insert one `SlaEvent` per clock for the highest threshold it
   passed (`ON CONFLICT DO NOTHING` on the unique constraint), move each clock's
   `next_alert_at` on, and record each breach as an `SlaOutcome` for the dashboards. Three
   queries per batch (four more when it holds breaches), whatever the size of the table.
2. Apply (`sla_events_apply`): claim a batch of `SlaEvent`s not yet applied (`SKIP LOCKED`)
   and, in one transaction, write their effects set-based (`sla_events_effects`): timeline
   entries, raises to the managers and escalations' events in one insert, the escalations in
   one UPDATE, the outbox rows (deduplicated by the event) in one insert handed to one worker
   task on commit; then mark them applied. A constant number of statements per batch. A batch
   that fails is redone one event at a time through the ticket services
   (`sla_event_effects`), so a bad event only holds up itself. A worker killed half-way rolls
   the whole batch back and the next sweep redoes it.

Automatic escalation acts only on a resolution clock still running (the ticket's current
cycle): a late breach of a cycle already resolved is recorded and notified, and escalates
nothing.
"""

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import TransitionNotAllowed

from accounts.models import Role, User
from chat.services import chat_on_sla_events
from escalation.models import SupportGroup, Tier
from escalation.services import ticket_raise_to_manager
from notifications.models import NotificationKind
from notifications.services import Outgoing, notification_enqueue, notifications_enqueue_many
from sla.clock_rows import SWEEP_FIELDS, clocks_claim_due, clocks_move_on
from sla.engine import next_alert_at, reached_level
from sla.models import (
    LEVEL_KINDS,
    OPEN_CLOCK_STATES,
    Metric,
    SlaClock,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
)
from sla.outcomes import BREACH_LEVEL, Verdict, dimensions_of, outcomes_record
from tickets.live import live_queue_changed
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.services import ticket_escalate_for_breach

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# Events applied per transaction (sla_events_effects).
APPLY_BATCH_SIZE = 500
MAX_ATTEMPTS = 5
# A resolution breach escalates one tier only from these states (and below L3).
BREACH_ESCALATION_STATES = {Status.PRIORITIZED, Status.IN_DIAGNOSIS, Status.ESCALATED}


@dataclass
class SweepResult:
    clocks: int = 0
    recorded: int = 0
    applied: int = 0


def sla_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    result = SweepResult()
    result.clocks, result.recorded = sla_record_due(now=now, batch_size=batch_size)
    result.applied = sla_events_apply(batch_size=batch_size)
    return result


# --- 1. record -----------------------------------------------------------------------------------


def sla_record_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Record every threshold passed by `now`; returns (clocks looked at, events recorded)."""
    now = now or timezone.now()
    seen = recorded = 0
    while True:
        batch, events = _record_batch(now=now, batch_size=batch_size)
        seen += batch
        recorded += events
        if batch < batch_size:
            return seen, recorded


def _record_batch(*, now: datetime, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        # 1 the due clocks, claimed: other sweeps skip them, ticket writes wait for us.
        clocks = clocks_claim_due(SlaClock, now=now, batch_size=batch_size, fields=SWEEP_FIELDS)
        if not clocks:
            return 0, 0
        events = []
        breaches: list[Verdict] = []
        for clock in clocks:
            level = reached_level(clock, now)
            if level > clock.alert_level:
                if level == BREACH_LEVEL:
                    breaches.append(Verdict.of(clock, met=False, at=clock.due_at))
                # Only the highest threshold passed since the last sweep is recorded.
                events.append(
                    SlaEvent(
                        ticket_id=clock.ticket_id,
                        metric=clock.metric,
                        cycle=clock.cycle,
                        kind=LEVEL_KINDS[level],
                        due_at=clock.due_at,
                        created_at=now,
                    )
                )
                clock.alert_level = level
            clock.next_alert_at = next_alert_at(clock)
        # 2 the events; one already recorded (a rebuilt clock, a redelivery) is skipped.
        SlaEvent.objects.bulk_create(events, ignore_conflicts=True)
        # 3 the clocks' next thresholds.
        clocks_move_on(SlaClock, clocks)
        # 4 the breaches, for the dashboards (a lookup of the tickets and 3 statements).
        if breaches:
            outcomes_record(
                verdicts=breaches, dimensions=dimensions_of(v.ticket_id for v in breaches)
            )
    return len(clocks), len(events)


# --- 2. apply ------------------------------------------------------------------------------------


def sla_events_apply(*, limit: int = 10_000, batch_size: int = APPLY_BATCH_SIZE) -> int:
    """Apply the effects of recorded events not yet applied; returns how many were applied.

    A batch at a time, set-based (`sla_events_effects`). A batch whose effects fail is rolled
    back and applied one event at a time (`sla_event_effects`), so one bad event never holds
    up the others: it alone counts an attempt and waits for the next sweep.
    """
    applied = 0
    failed: list[int] = []  # tried once per run; the next sweep retries them
    while applied + len(failed) < limit:
        outcome = _apply_batch(failed=failed, batch_size=min(batch_size, limit - applied))
        if outcome is None:
            break
        applied += outcome
    return applied


def _apply_batch(*, failed: list[int], batch_size: int) -> int | None:
    with transaction.atomic():
        # 1 the events, claimed: another sweep skips them until this transaction ends.
        events = list(
            SlaEvent.objects.select_for_update(skip_locked=True)
            .filter(applied_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .exclude(pk__in=failed)
            .order_by("id")[:batch_size]
        )
        if not events:
            return None
        try:
            with transaction.atomic():
                sla_events_effects(events=events)
        except Exception:
            logger.exception(
                "SLA events %s…%s: effects failed as a batch; one at a time",
                events[0].pk,
                events[-1].pk,
            )
            applied = _apply_one_by_one(events=events, failed=failed)
        else:
            applied = [event.pk for event in events]
        # last: mark them applied, in the transaction that wrote their effects.
        SlaEvent.objects.filter(pk__in=applied).update(applied_at=timezone.now())
        return len(applied)


def _apply_one_by_one(*, events: list[SlaEvent], failed: list[int]) -> list[int]:
    applied = []
    for event in events:
        try:
            with transaction.atomic():
                sla_event_effects(event=event)
        except Exception:
            logger.exception("SLA event %s: effects failed", event.pk)
            failed.append(event.pk)
            SlaEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
        else:
            applied.append(event.pk)
    return applied


# The timeline's words for a threshold. Written in the sweep's language; the ticket page shows
# them again in its reader's (tickets.system_reasons), so the texts live here once.
BREACH_TEXT = gettext_noop("%(metric)s target breached (cycle %(cycle)s): it was due at %(due)s.")
WARNING_TEXT = gettext_noop(
    "%(metric)s: %(percent)s %% of the target used (cycle %(cycle)s), due at %(due)s."
)
DUE_FORMAT = "%Y-%m-%d %H:%M %Z"


def _describe(event: SlaEvent) -> str:
    values = {
        "metric": Metric(event.metric).label,
        "due": event.due_at.strftime(DUE_FORMAT),
        "cycle": event.cycle,
    }
    if event.kind == SlaEventKind.BREACH:
        return _(BREACH_TEXT) % values
    percent = "75" if event.kind == SlaEventKind.WARNING75 else "90"
    return _(WARNING_TEXT) % {**values, "percent": percent}


def _context(event: SlaEvent, reason: str) -> dict[str, str]:
    context = {
        "metric": str(Metric(event.metric).label),
        "due_at": event.due_at.strftime("%Y-%m-%d %H:%M %Z"),
        "reason": reason,
    }
    if event.kind != SlaEventKind.BREACH:
        context["percent"] = "75" if event.kind == SlaEventKind.WARNING75 else "90"
    return context


def _tier_leads(ticket: Ticket) -> list[User]:
    return [
        group.lead
        for group in SupportGroup.objects.filter(tier=ticket.tier, lead__is_active=True)
        .select_related("lead")
        .order_by("lead_id")
        if group.lead is not None
    ]


def _escalation_enabled(clock: SlaClock | None) -> bool:
    if not settings.SLA_ESCALATE_ON_BREACH:
        return False
    if clock is None or clock.policy_id is None:
        return True
    return SlaPolicy.objects.filter(pk=clock.policy_id, escalate_on_breach=True).exists()


def _is_current(clock: SlaClock | None) -> bool:
    """Automatic effects act only on a clock still running: not on a stopped cycle's late
    breach (DESIGN.md, SLA, exact rules). At most one clock per metric is open: the current
    cycle's."""
    return clock is not None and clock.state in OPEN_CLOCK_STATES


def sla_event_effects(*, event: SlaEvent) -> None:
    """Timeline, notifications and escalation of one recorded threshold (caller: once).

    One event at a time through the ticket services: the reference `sla_events_effects`
    writes the same rows as, and the path a batch falls back to when it fails.
    """
    ticket = Ticket.objects.select_related("assignee").get(pk=event.ticket_id)
    live_queue_changed(tiers=(ticket.tier,), agents=(ticket.assignee_id,))  # its SLA cell
    clock = SlaClock.objects.filter(
        ticket_id=event.ticket_id, metric=event.metric, cycle=event.cycle
    ).first()
    reason = _describe(event)
    cause = f"sla-event:{event.pk}"
    TicketEvent.objects.create(
        ticket=ticket,
        actor=None,
        created_at=timezone.now(),
        kind=EventKind.SLA,
        reason=reason,
        reason_is_internal=True,
    )
    context = _context(event, reason)
    chat_on_sla_events(events=[(event, ticket, _is_current(clock))])
    if event.kind != SlaEventKind.BREACH:
        if not _is_current(clock):
            return  # stopped since: a warning would only be noise
        recipients = {user.pk: user for user in _tier_leads(ticket)}
        if ticket.assignee is not None:
            recipients[ticket.assignee.pk] = ticket.assignee
        for recipient in recipients.values():
            notification_enqueue(
                recipient=recipient,
                kind=NotificationKind.SLA_WARNING,
                ticket=ticket,
                cause=cause,
                context=context,
            )
        return
    if ticket.assignee is not None:
        notification_enqueue(
            recipient=ticket.assignee,
            kind=NotificationKind.SLA_BREACH,
            ticket=ticket,
            cause=cause,
            context=context,
        )
    ticket_raise_to_manager(ticket=ticket, actor=None, reason=reason, cause=cause)
    if (
        event.metric == Metric.RESOLUTION
        and _is_current(clock)
        and ticket.status in BREACH_ESCALATION_STATES
        and ticket.tier < Tier.L3
        and _escalation_enabled(clock)
    ):
        # If the ticket moved on meanwhile (resolved, held, at L3) there is nothing to escalate.
        with contextlib.suppress(TransitionNotAllowed):
            ticket_escalate_for_breach(ticket=ticket, reason=reason)


# --- 2b. the same effects for a batch, in a constant number of statements -----------------------


@dataclass
class _Ticket:
    """A ticket as the batch's earlier events left it (events apply in id order)."""

    row: Ticket
    tier: int
    status: str
    assignee: User | None
    support_group_id: int | None
    escalated: bool = False


@dataclass
class _Recipients:
    """Who hears of a ticket's SLA events, per tier: its groups' leads and the managers."""

    leads: dict[int, list[User]]  # tier → active leads, by pk
    managers: list[User]

    def leads_of(self, tier: int) -> list[User]:
        return self.leads.get(tier, [])

    def hierarchical(self, tier: int) -> list[User]:
        """As escalation.services.hierarchical_recipients: leads and managers, each once."""
        people = {user.pk: user for user in [*self.leads_of(tier), *self.managers]}
        return [people[pk] for pk in sorted(people)]


def _recipients() -> _Recipients:
    leads: dict[int, dict[int, User]] = {}
    for group in (
        SupportGroup.objects.filter(lead__is_active=True).select_related("lead").order_by("lead_id")
    ):
        assert group.lead is not None  # noqa: S101 (filtered above)
        leads.setdefault(group.tier, {})[group.lead.pk] = group.lead
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk"))
    return _Recipients(
        leads={tier: list(people.values()) for tier, people in leads.items()}, managers=managers
    )


def sla_events_effects(*, events: list[SlaEvent]) -> None:
    """The effects of a batch of recorded thresholds, the same rows `sla_event_effects` writes
    one event at a time, in a constant number of statements whatever the batch's size:

    1 lock the tickets (pk order, as every ticket write takes them), with requester and assignee;
    2 the events' clocks with their policy's escalation switch; 3 the tier groups' leads; 4 the
    managers; 5 insert the timeline entries, the raises to management and the escalations'
    events; 6 escalate, all tiers in one UPDATE; 7 the agents of the tiers reached (who are told,
    as of a manual escalation); then the outbox (notifications_enqueue_many): 8 the recipients'
    muted kinds, 9 insert returning the ids, handed to one worker task on commit.
    Call inside a transaction that holds the events (caller: once per event).
    """
    now = timezone.now()
    ticket_ids = sorted({event.ticket_id for event in events})
    tickets = {
        row.pk: _Ticket(
            row=row,
            tier=row.tier,
            status=row.status,
            assignee=row.assignee,
            support_group_id=row.support_group_id,
        )
        for row in Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "assignee")
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    }
    clocks = {
        (clock.ticket_id, clock.metric, clock.cycle): clock
        for clock in SlaClock.objects.filter(
            ticket_id__in=ticket_ids, metric__in={event.metric for event in events}
        )
        .select_related("policy")
        .only("ticket_id", "metric", "cycle", "state", "policy_id", "policy__escalate_on_breach")
    }
    people = _recipients()

    timeline: list[_Entry] = []
    outgoing: list[Outgoing] = []
    escalations: list[tuple[_Ticket, _Entry]] = []
    for event in events:
        ticket = tickets.get(event.ticket_id)
        if ticket is None:
            continue  # deleted since (no constraint ties the event to it): nothing to act on
        clock = clocks.get((event.ticket_id, event.metric, event.cycle))
        reason = _describe(event)
        cause = f"sla-event:{event.pk}"
        context = _context(event, reason)
        timeline.append(_Entry(ticket.row.pk, EventKind.SLA, reason))
        if event.kind != SlaEventKind.BREACH:
            if not _is_current(clock):
                continue
            recipients = {user.pk: user for user in people.leads_of(ticket.tier)}
            if ticket.assignee is not None:
                recipients[ticket.assignee.pk] = ticket.assignee
            outgoing += [
                Outgoing(recipient, NotificationKind.SLA_WARNING, ticket.row, cause, context)
                for recipient in recipients.values()
            ]
            continue
        if ticket.assignee is not None:
            outgoing.append(
                Outgoing(ticket.assignee, NotificationKind.SLA_BREACH, ticket.row, cause, context)
            )
        timeline.append(_Entry(ticket.row.pk, EventKind.RAISED, reason))
        outgoing += [
            Outgoing(
                recipient, NotificationKind.RAISED_TO_MANAGER, ticket.row, cause, {"reason": reason}
            )
            for recipient in people.hierarchical(ticket.tier)
        ]
        if (
            event.metric == Metric.RESOLUTION
            and _is_current(clock)
            and ticket.status in BREACH_ESCALATION_STATES
            and ticket.tier < Tier.L3
            and not ticket.escalated  # one open clock per metric: never twice in a batch
            and _policy_escalates(clock)
        ):
            escalation = _escalation_entry(ticket, reason=reason)
            timeline.append(escalation)
            escalations.append((ticket, escalation))
    escalation_ids = _insert_timeline(timeline, now=now)
    chat_on_sla_events(
        events=[
            (e, tickets[e.ticket_id].row, _is_current(clocks.get((e.ticket_id, e.metric, e.cycle))))
            for e in events
            if e.ticket_id in tickets
        ],
        escalated=[(t.row, escalation_ids[t.row.pk], entry.reason) for t, entry in escalations],
    )
    if escalations:
        _escalate(ticket_ids=[ticket.row.pk for ticket, _event in escalations], now=now)
        agents = _tier_agents(tiers={ticket.tier for ticket, _event in escalations})
    for ticket, escalation in escalations:
        # notifications.reactions._notify_tier_of_escalation: the tier reached hears of it.
        outgoing += [
            Outgoing(
                agent,
                NotificationKind.ESCALATED_TO_TIER,
                ticket.row,
                f"event:{escalation_ids[ticket.row.pk]}",
                {"reason": escalation.reason},
            )
            for agent in agents.get(ticket.tier, [])
        ]
        # notifications.reactions.notify_status_changed: the requester hears of the new state.
        if escalation.from_status != Status.ESCALATED:
            outgoing.append(
                Outgoing(
                    ticket.row.requester,
                    NotificationKind.STATUS_CHANGED,
                    ticket.row,
                    f"event:{escalation_ids[ticket.row.pk]}",
                    {"to_status": Status.ESCALATED.value, "summary": "", "reason": ""},
                )
            )
    notifications_enqueue_many(rows=outgoing)
    # The consoles showing these tickets (their SLA cells, the escalated ones' new tier).
    live_queue_changed(
        tiers={ticket.tier for ticket in tickets.values()}
        | {ticket.tier + 1 for ticket, _event in escalations},
        agents={ticket.row.assignee_id for ticket in tickets.values()},
    )


def _tier_agents(*, tiers: set[int]) -> dict[int, list[User]]:
    """Per tier, its groups' active agents, each once (one query)."""
    agents: dict[int, dict[int, User]] = {}
    for agent in (
        User.objects.filter(support_groups__tier__in=tiers, role=Role.AGENT, is_active=True)
        .annotate(group_tier=F("support_groups__tier"))
        .order_by("pk")
    ):
        agents.setdefault(agent.group_tier, {})[agent.pk] = agent  # type: ignore[attr-defined]
    return {tier: list(people.values()) for tier, people in agents.items()}


def _escalate(*, ticket_ids: list[int], now: datetime) -> None:
    """Ticket.escalate_for_breach (`_up_one_tier`) for every ticket at once, whatever its tier."""
    Ticket.objects.filter(pk__in=ticket_ids).update(
        status=Status.ESCALATED,
        tier=F("tier") + 1,
        assignee=None,
        support_group=None,
        escalation_count=F("escalation_count") + 1,
        last_escalated_at=now,
        updated_at=now,
    )


def _policy_escalates(clock: SlaClock | None) -> bool:
    """`_escalation_enabled` on a clock loaded with its policy (no query)."""
    if not settings.SLA_ESCALATE_ON_BREACH:
        return False
    return clock is None or clock.policy is None or clock.policy.escalate_on_breach


class _Entry(NamedTuple):
    """A timeline row the batch writes: what tickets.services.recipe.record and
    escalation.services.ticket_raise_to_manager write (no actor: the system acted)."""

    ticket_id: int
    kind: str
    reason: str
    transition: str = ""
    from_status: str = ""
    to_status: str = ""
    changes: dict[str, list[int | None]] | None = None


def _insert_timeline(entries: list[_Entry], *, now: datetime) -> dict[int, int]:
    """Insert the entries in their order (ids ascending); the escalation event's id by ticket."""
    if not entries:
        return {}
    if connection.vendor != "postgresql":
        rows = TicketEvent.objects.bulk_create(
            [
                TicketEvent(
                    ticket_id=entry.ticket_id,
                    actor=None,
                    created_at=now,
                    kind=entry.kind,
                    transition=entry.transition,
                    from_status=entry.from_status,
                    to_status=entry.to_status,
                    changes=entry.changes or {},
                    reason=entry.reason,
                    reason_is_internal=True,
                )
                for entry in entries
            ]
        )
        return {row.ticket_id: row.pk for row in rows if row.transition}
    # bulk_create's per-value preparation costs seconds for a few thousand rows; unnest does not.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TicketEvent._meta.db_table} (ticket_id, actor_id, created_at, kind, "  # noqa: S608 (a model's table)
            "transition, from_status, to_status, changes, reason, reason_is_internal) "
            "SELECT t, NULL, %s, k, tr, fs, ts, c::jsonb, r, true FROM unnest(%s::bigint[], "
            "%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "WITH ORDINALITY AS v(t, k, tr, fs, ts, c, r, n) ORDER BY n "
            "RETURNING id, ticket_id, transition",
            [
                now,
                [entry.ticket_id for entry in entries],
                [str(entry.kind) for entry in entries],
                [str(entry.transition) for entry in entries],
                [str(entry.from_status) for entry in entries],
                [str(entry.to_status) for entry in entries],
                [json.dumps(entry.changes or {}) for entry in entries],
                [entry.reason for entry in entries],
            ],
        )
        return {ticket_id: pk for pk, ticket_id, transition in cursor.fetchall() if transition}


def _escalation_entry(ticket: _Ticket, *, reason: str) -> _Entry:
    """The event tickets.services.recipe.record writes for `escalate_for_breach`; moves `ticket`
    on."""
    # What changed, as TRACKED_FIELDS lists it (milestones are saved but not listed).
    changes: dict[str, list[int | None]] = {"tier": [ticket.tier, ticket.tier + 1]}
    if ticket.support_group_id is not None:
        changes["support_group_id"] = [ticket.support_group_id, None]
    if ticket.assignee is not None:
        changes["assignee_id"] = [ticket.assignee.pk, None]
    entry = _Entry(
        ticket_id=ticket.row.pk,
        kind=EventKind.TRANSITION,
        reason=reason,
        transition="escalate_for_breach",
        from_status=ticket.status,
        to_status=Status.ESCALATED,
        changes=changes,
    )
    ticket.tier += 1
    ticket.status = Status.ESCALATED
    ticket.assignee = None
    ticket.support_group_id = None
    ticket.escalated = True
    return entry
