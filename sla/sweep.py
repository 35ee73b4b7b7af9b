"""The SLA sweep: record the thresholds clocks passed, then apply each record's effects, once.

1. Record (`sla_record_due`): claim due clocks in batches with `SELECT … FOR UPDATE SKIP
   LOCKED` on the partial index, insert one `SlaEvent` per clock for the highest threshold it
   passed (`ON CONFLICT DO NOTHING` on the unique constraint), move each clock's
   `next_alert_at` on, and record each breach as an `SlaOutcome` for the dashboards. Three
   queries per batch (four more when it holds breaches), whatever the size of the table.
2. Apply (`sla_events_apply`): for each `SlaEvent` not yet applied, in its own transaction with
   the event row locked: timeline event, notifications (outbox, deduplicated by the event),
   raise to the managers, and for a resolution breach the automatic escalation; then mark it
   applied. A worker killed half-way rolls the whole step back and the next sweep redoes it.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from accounts.models import User
from escalation.models import SupportGroup, Tier
from escalation.services import ticket_raise_to_manager
from notifications.models import NotificationKind
from notifications.services import notification_enqueue
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
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.services import ticket_escalate_for_breach

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_ATTEMPTS = 5
# A resolution breach escalates one tier only from these states (and below L3).
BREACH_ESCALATION_STATES = {Status.PRIORITIZED, Status.IN_DIAGNOSIS, Status.ESCALATED}
_SWEEP_FIELDS = [
    "id",
    "ticket_id",
    "metric",
    "cycle",
    "state",
    "at_risk_at",
    "warning_at",
    "due_at",
    "stopped_at",
    "paused_since",
    "alert_level",
    "next_alert_at",
]


@dataclass
class SweepResult:
    clocks: int = 0
    recorded: int = 0
    applied: int = 0


def sla_sweep(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    result = SweepResult()
    result.clocks, result.recorded = sla_record_due(now=now, batch_size=batch_size)
    result.applied = sla_events_apply()
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
        clocks = list(
            SlaClock.objects.select_for_update(skip_locked=True)
            .filter(next_alert_at__lt=now)
            .order_by("next_alert_at")
            .only(*_SWEEP_FIELDS)[:batch_size]
        )
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
        _move_on(clocks)
        # 4 the breaches, for the dashboards (a lookup of the tickets and 3 statements).
        if breaches:
            outcomes_record(
                verdicts=breaches, dimensions=dimensions_of(v.ticket_id for v in breaches)
            )
    return len(clocks), len(events)


def _move_on(clocks: list[SlaClock]) -> None:
    """Save each clock's alert level and next alert time in one statement."""
    if connection.vendor != "postgresql":
        SlaClock.objects.bulk_update(clocks, ["alert_level", "next_alert_at"])
        return
    # bulk_update's CASE WHEN per row costs seconds of Python for 500 rows; unnest does not.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SlaClock._meta.db_table} AS c "  # noqa: S608 (a model's table name)
            "SET alert_level = v.level, next_alert_at = v.next_at "
            "FROM unnest(%s::bigint[], %s::smallint[], %s::timestamptz[]) AS v(id, level, next_at) "
            "WHERE c.id = v.id",
            [
                [c.pk for c in clocks],
                [c.alert_level for c in clocks],
                [c.next_alert_at for c in clocks],
            ],
        )


# --- 2. apply ------------------------------------------------------------------------------------


def sla_events_apply(*, limit: int = 10_000) -> int:
    """Apply the effects of recorded events not yet applied; returns how many were applied."""
    applied = 0
    failed: list[int] = []  # tried once per run; the next sweep retries them
    for _attempt in range(limit):
        outcome = _apply_next(failed=failed)
        if outcome is None:
            break
        applied += outcome
    return applied


def _apply_next(*, failed: list[int]) -> bool | None:
    with transaction.atomic():
        event = (
            SlaEvent.objects.select_for_update(skip_locked=True)
            .filter(applied_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .exclude(pk__in=failed)
            .order_by("id")
            .first()
        )
        if event is None:
            return None
        try:
            with transaction.atomic():
                sla_event_effects(event=event)
        except Exception:
            logger.exception("SLA event %s: effects failed", event.pk)
            failed.append(event.pk)
            event.attempts += 1
            event.save(update_fields=["attempts"])
            return False
        event.applied_at = timezone.now()
        event.save(update_fields=["applied_at"])
        return True


def _describe(event: SlaEvent) -> str:
    values = {
        "metric": Metric(event.metric).label,
        "due": event.due_at.strftime("%Y-%m-%d %H:%M %Z"),
        "cycle": event.cycle,
    }
    if event.kind == SlaEventKind.BREACH:
        return _("%(metric)s target breached (cycle %(cycle)s): it was due at %(due)s.") % values
    percent = "75" if event.kind == SlaEventKind.WARNING75 else "90"
    return _("%(metric)s: %(percent)s %% of the target used (cycle %(cycle)s), due at %(due)s.") % {
        **values,
        "percent": percent,
    }


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


def sla_event_effects(*, event: SlaEvent) -> None:
    """Timeline, notifications and escalation of one recorded threshold (caller: once)."""
    ticket = Ticket.objects.select_related("assignee").get(pk=event.ticket_id)
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
    context = {
        "metric": str(Metric(event.metric).label),
        "due_at": event.due_at.strftime("%Y-%m-%d %H:%M %Z"),
        "reason": reason,
    }
    if event.kind != SlaEventKind.BREACH:
        if clock is None or clock.state not in OPEN_CLOCK_STATES:
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
                context={**context, "percent": "75" if event.kind == "warning75" else "90"},
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
        and ticket.status in BREACH_ESCALATION_STATES
        and ticket.tier < Tier.L3
        and _escalation_enabled(clock)
    ):
        # If the ticket moved on meanwhile (resolved, held, at L3) there is nothing to escalate.
        with contextlib.suppress(TransitionNotAllowed):
            ticket_escalate_for_breach(ticket=ticket, reason=reason)
