"""The OLA sweep, as the SLA sweep (sla/sweep.py) and beside it:

0. Catch up (`ola_catch_up`): tickets moved to another tier without the ticket services'
   hooks (the SLA sweep's batch escalation is one UPDATE) get their clocks moved, at the
   moment they were escalated.
1. Record (`ola_record_due`): claim due clocks (`FOR UPDATE SKIP LOCKED` on the partial index),
   insert one `OlaEvent` per breached clock (`ON CONFLICT DO NOTHING` on its unique constraint)
   and move each clock's `next_alert_at` on.
2. Apply (`ola_events_apply`): claim breaches not yet applied (`SKIP LOCKED`) and, in one
   transaction, write a timeline entry on each ticket and notify the leads of the breached
   tier's groups (outbox rows deduplicated by the breach), then mark them applied.

So a breach is recorded and notified once, whatever the number of sweeps or workers.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from escalation.models import SupportGroup, Tier
from notifications.models import NotificationKind
from notifications.services import Outgoing, notifications_enqueue_many
from ola.engine import BREACH_LEVEL, breach_check_at, breached_by
from ola.models import OlaClock, OlaEvent, OlaMetric
from ola.services import ola_clocks_sync
from sla.clock_rows import SWEEP_FIELDS, clocks_claim_due, clocks_move_on
from sla.models import OPEN_CLOCK_STATES
from sla.sweep import DUE_FORMAT, _Entry, _insert_timeline
from tickets.models import EventKind, Ticket

BATCH_SIZE = 500
# What the sweep reads of a clock (sla.engine.reached_level and breach_check_at).
_SWEEP_FIELDS = [*SWEEP_FIELDS, "tier"]


@dataclass
class OlaSweepResult:
    caught_up: int = 0
    clocks: int = 0
    recorded: int = 0
    applied: int = 0


def ola_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> OlaSweepResult:
    now = now or timezone.now()
    result = OlaSweepResult()
    result.caught_up = ola_catch_up(now=now, limit=batch_size)
    result.clocks, result.recorded = ola_record_due(now=now, batch_size=batch_size)
    result.applied = ola_events_apply(batch_size=batch_size)
    return result


# --- 0. catch up ---------------------------------------------------------------------------------


def ola_catch_up(*, now: datetime, limit: int = BATCH_SIZE) -> int:
    """Move the clocks of tickets whose tier changed behind the hooks' back; returns how many."""
    ticket_ids = list(
        OlaClock.objects.filter(state__in=OPEN_CLOCK_STATES)
        .exclude(tier=F("ticket__tier"))
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
        .distinct()[:limit]
    )
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
            if ticket is None:
                continue
            moved_at = ticket.last_escalated_at or now
            ola_clocks_sync(ticket=ticket, at=min(moved_at, now))
    return len(ticket_ids)


# --- 1. record -----------------------------------------------------------------------------------


def ola_record_due(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Record every OLA breach passed by `now`; returns (clocks looked at, breaches recorded)."""
    now = now or timezone.now()
    seen = recorded = 0
    while True:
        with transaction.atomic():
            # 1 the due clocks, claimed: other sweeps skip them, ticket writes wait for us.
            clocks = clocks_claim_due(
                OlaClock, now=now, batch_size=batch_size, fields=_SWEEP_FIELDS
            )
            events = []
            for clock in clocks:
                if clock.alert_level < BREACH_LEVEL and breached_by(clock, now):
                    events.append(
                        OlaEvent(
                            ticket_id=clock.ticket_id,
                            tier=clock.tier,
                            metric=clock.metric,
                            cycle=clock.cycle,
                            due_at=clock.due_at,
                            created_at=now,
                        )
                    )
                    clock.alert_level = BREACH_LEVEL
                clock.next_alert_at = breach_check_at(clock)
            if clocks:
                # 2 the breaches; one already recorded (a redelivery, a recompute) is skipped.
                OlaEvent.objects.bulk_create(events, ignore_conflicts=True)
                # 3 the clocks' next look.
                clocks_move_on(OlaClock, clocks)
        seen += len(clocks)
        recorded += len(events)
        if len(clocks) < batch_size:
            return seen, recorded


# --- 2. apply ------------------------------------------------------------------------------------


# Shown again in the reader's language on the ticket page (tickets.system_reasons).
TAKE_BREACH_TEXT = gettext_noop("OLA breached: %(tier)s did not take the ticket by %(due)s.")
HANDOFF_BREACH_TEXT = gettext_noop(
    "OLA breached: %(tier)s did not hand on or resolve the ticket by %(due)s."
)


def describe_breach(event: OlaEvent) -> str:
    values = {
        "tier": Tier(event.tier).label,
        "due": event.due_at.strftime(DUE_FORMAT),
    }
    if event.metric == OlaMetric.TAKE:
        return _(TAKE_BREACH_TEXT) % values
    return _(HANDOFF_BREACH_TEXT) % values


def _leads_by_tier() -> dict[int, list[User]]:
    leads: dict[int, dict[int, User]] = {}
    for group in (
        SupportGroup.objects.filter(lead__is_active=True).select_related("lead").order_by("lead_id")
    ):
        assert group.lead is not None  # noqa: S101 (filtered above)
        leads.setdefault(group.tier, {})[group.lead.pk] = group.lead
    return {tier: list(people.values()) for tier, people in leads.items()}


def ola_events_apply(*, batch_size: int = BATCH_SIZE) -> int:
    """Apply the breaches recorded and not yet applied; returns how many were applied."""
    applied = 0
    while True:
        with transaction.atomic():
            # 1 the breaches, claimed: another sweep skips them until this transaction ends.
            events = list(
                OlaEvent.objects.select_for_update(skip_locked=True)
                .filter(applied_at__isnull=True)
                .order_by("id")[:batch_size]
            )
            if not events:
                return applied
            ola_events_effects(events=events)
            # last: mark them applied, in the transaction that wrote their effects.
            OlaEvent.objects.filter(pk__in=[e.pk for e in events]).update(applied_at=timezone.now())
        applied += len(events)


def ola_events_effects(*, events: list[OlaEvent]) -> None:
    """A timeline entry per breach and a notification to each lead of the breached tier
    (`OLA_BREACH`), in a constant number of statements: the tickets, the leads, one insert of
    the timeline, the outbox (muted kinds, one insert)."""
    now = timezone.now()
    tickets = Ticket.objects.only("id", "kind", "title", "requester_id", "contact_email").in_bulk(
        {event.ticket_id for event in events}
    )
    leads = _leads_by_tier()
    timeline: list[_Entry] = []
    outgoing: list[Outgoing] = []
    for event in events:
        ticket = tickets.get(event.ticket_id)
        if ticket is None:
            continue  # deleted since (no constraint ties the event to it)
        reason = describe_breach(event)
        timeline.append(_Entry(ticket.pk, EventKind.SLA, reason))
        outgoing += [
            Outgoing(
                lead,
                NotificationKind.OLA_BREACH,
                ticket,
                f"ola-event:{event.pk}",
                {"reason": reason, "tier": f"L{event.tier}"},
            )
            for lead in leads.get(event.tier, [])
        ]
    # The SLA sweep's set-based insert of internal, actor-less timeline rows.
    _insert_timeline(timeline, now=now)
    notifications_enqueue_many(rows=outgoing)
