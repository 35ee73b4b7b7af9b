"""Writes of the OLA app: the hook the ticket writes call, and the targets (managers).

The hook runs inside the caller's transaction, on the ticket row it locked, so the OLA clocks
change together with the ticket change that moved them, or not at all.
"""

from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.models import Tier
from helpdesk.errors import DomainError
from ola.engine import TicketState, TierClocks
from ola.models import OlaClock, OlaMetric, OlaTarget, target_order_error
from ola.selectors import ola_target_lookup
from sla.clock_rows import CLOCK_TIME_FIELDS
from sla.engine import schedule
from sla.models import (
    OPEN_CLOCK_STATES,
    Calendar,
    ClockState,
    calendar_hours_of,
    target_error,
)
from sla.selectors import CalendarCache
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.models_choices import Priority

# A change to one of these may move an OLA clock.
OLA_FIELDS = {"tier", "assignee_id", "priority"}
# A status change moves them only to or from these (hold, resolve, reopen, cancel or close).
OLA_STATES = {Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}
# What the hook may change on an existing clock: its target and the engine's time columns.
MUTABLE_FIELDS = ["priority", "calendar", "target", *CLOCK_TIME_FIELDS, "updated_at"]
_COMPARED = [f for f in MUTABLE_FIELDS if f not in ("calendar", "updated_at")] + ["calendar_id"]


def _fingerprint(clock: OlaClock) -> tuple[Any, ...]:
    return tuple(getattr(clock, name) for name in _COMPARED)


def ola_moves(event: TicketEvent) -> bool:
    """Whether a ticket event may move an OLA clock."""
    return (
        event.kind == EventKind.CREATED
        or bool(OLA_FIELDS & set(event.changes))
        or (
            event.kind == EventKind.TRANSITION
            and event.from_status != event.to_status
            and bool({event.from_status, event.to_status} & OLA_STATES)
        )
    )


def ola_clocks_on_event(*, ticket: Ticket, event: TicketEvent, at: datetime) -> None:
    """sla.services.clocks_on_event's companion: move the OLA clocks after a ticket change."""
    if not ola_moves(event):
        return
    reopened = (
        event.kind == EventKind.TRANSITION
        and event.from_status == Status.RESOLVED
        and event.to_status != Status.CLOSED
    )
    ola_clocks_sync(
        ticket=ticket, at=at, reopened=reopened, created=event.kind == EventKind.CREATED
    )


def ola_clocks_sync(
    *, ticket: Ticket, at: datetime, reopened: bool = False, created: bool = False
) -> list[OlaClock]:
    """Bring the ticket's OLA clocks in line with its tier, assignee, status and priority
    (ola.engine.TierClocks.sync). Call inside the transaction that locked the ticket; 1 query,
    plus one per kind of write when a clock changes or starts."""
    clocks = (
        []
        if created
        else list(OlaClock.objects.select_for_update().filter(ticket_id=ticket.pk).order_by("id"))
    )
    before = {clock.pk: _fingerprint(clock) for clock in clocks}
    calendars = CalendarCache()
    engine = TierClocks(clocks=clocks, ticket_id=ticket.pk, calendar_for=calendars)
    engine.sync(
        TicketState(
            tier=ticket.tier,
            priority=ticket.priority,
            status=ticket.status,
            assignee_id=ticket.assignee_id,
        ),
        at=at,
        target_for=ola_target_lookup(calendars=calendars),
        reopened=reopened,
    )
    new = [clock for clock in engine.clocks if clock.pk is None]
    changed = [
        clock
        for clock in engine.clocks
        if clock.pk is not None and _fingerprint(clock) != before[clock.pk]
    ]
    now = timezone.now()
    for clock in changed:
        clock.updated_at = now
    if changed:
        OlaClock.objects.bulk_update(changed, MUTABLE_FIELDS)
    if new:
        OlaClock.objects.bulk_create(new)
    # What the ticket's page or API answer shows, without reading it back.
    ticket.ola_clock_list = engine.clocks  # type: ignore[attr-defined]
    return engine.clocks


# --- targets (managers) --------------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not (actor.is_authenticated and (actor.is_manager or actor.is_superuser)):
        raise PermissionDenied(_("Only managers can change OLA targets."))


def ola_target_save(
    *,
    actor: User,
    target: OlaTarget | None = None,
    tier: int,
    priority: int,
    take_within: timedelta | None,
    handoff_within: timedelta | None,
    calendar: Calendar | None = None,
) -> OlaTarget:
    """Create or change the OLA target of a tier and priority, and start its clocks on the
    tier's open tickets of that priority that have none for their current stay
    (`ola_clocks_backfill`, in the same transaction). Running clocks keep their targets until
    the ticket's next priority change or its next tier."""
    _require_manager(actor)
    if tier not in Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    if priority not in Priority.values:
        raise DomainError(_("Choose a priority."), field="priority")
    if take_within is None and handoff_within is None:
        raise DomainError(_("Give a take or a hand-off time, or both."), field="take_within")
    hours = calendar_hours_of(calendar)  # read once for both targets
    for name, value in (("take_within", take_within), ("handoff_within", handoff_within)):
        error = target_error(value, hours=hours)
        if error:
            raise DomainError(error, field=name)
    error = target_order_error(take_within=take_within, handoff_within=handoff_within)
    if error:
        raise DomainError(error, field="handoff_within")
    saving = target or OlaTarget()
    try:
        with transaction.atomic():
            taken = ola_target_taken_error(tier=tier, priority=priority, target=target)
            if taken:
                raise DomainError(taken, field="priority")
            saving.tier, saving.priority = tier, priority
            saving.take_within, saving.handoff_within = take_within, handoff_within
            saving.calendar = calendar
            saving.save()
            ola_clocks_backfill(target=saving, at=timezone.now())
    except IntegrityError:
        # Two managers saving the same tier and priority at once: the unique constraint
        # decides, and the loser hears what a clash found beforehand says (it was a 500).
        if target is None:
            saving.pk = None  # the insert was rolled back
        taken = ola_target_taken_error(tier=tier, priority=priority, target=target)
        if taken:
            raise DomainError(taken, field="priority") from None
        raise
    return saving


def ola_target_taken_error(*, tier: int, priority: int, target: OlaTarget | None) -> str | None:
    """What a second target for a tier and priority is told, or None: one wording whether the
    clash is found beforehand (here, or by the admin form) or the unique constraint decides a
    race."""
    clash = OlaTarget.objects.filter(tier=tier, priority=priority)
    if target is not None and target.pk is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        return _("There is already an OLA target for this tier and priority.")
    return None


def ola_target_delete(*, actor: User, target: OlaTarget) -> None:
    _require_manager(actor)
    target.delete()


# --- clocks for the tickets already in the tier (a target created or changed) ------------------

# The ticket states that start no OLA clock: the stay ended (resolved) or the ticket did.
_ENDED_STATES = (Status.RESOLVED, Status.CLOSED)

_BACKFILL_SQL = """
INSERT INTO {clock} (
    ticket_id, tier, metric, cycle, priority, calendar_id, started_at, target, paused,
    paused_since, pauses, at_risk_at, warning_at, due_at, stopped_at, state, alert_level,
    next_alert_at, created_at, updated_at
)
SELECT
    t.id, %(tier)s, %(metric)s,
    1 + COALESCE((
        SELECT MAX(c.cycle) FROM {clock} c
        WHERE c.ticket_id = t.id AND c.tier = %(tier)s AND c.metric = %(metric)s
    ), 0),
    %(priority)s, %(calendar_id)s, %(at)s, %(target)s, %(zero)s,
    CASE WHEN t.status = %(on_hold)s THEN %(at)s END,
    %(no_pauses)s, %(at_risk_at)s, %(warning_at)s, %(due_at)s, NULL,
    CASE WHEN t.status = %(on_hold)s THEN %(paused)s ELSE %(running)s END,
    0,
    CASE WHEN t.status = %(on_hold)s THEN NULL ELSE %(due_at)s END,
    %(now)s, %(now)s
FROM {ticket} t
WHERE t.tier = %(tier)s AND t.priority = %(priority)s AND t.status NOT IN ({ended})
  AND ({any_assignee} OR t.assignee_id IS NULL)
  -- no open clock of the metric (one of another tier: the sweep catches the ticket up first)
  AND NOT EXISTS (
    SELECT 1 FROM {clock} o
    WHERE o.ticket_id = t.id AND o.metric = %(metric)s AND o.state IN ({open})
  )
  -- and none of the current stay: a clock of the metric in this tier with no clock of
  -- another tier started after it (in the engine's order: start, then id)
  AND NOT EXISTS (
    SELECT 1 FROM {clock} s
    WHERE s.ticket_id = t.id AND s.metric = %(metric)s AND s.tier = %(tier)s
      AND NOT EXISTS (
        SELECT 1 FROM {clock} x
        WHERE x.ticket_id = t.id AND x.tier <> %(tier)s
          AND (x.started_at > s.started_at OR (x.started_at = s.started_at AND x.id > s.id))
      )
  )
ON CONFLICT DO NOTHING
"""


def _quoted(values: list[str]) -> str:
    """Choice values (our own constants) as an SQL list."""
    assert all(v.isidentifier() for v in values)  # noqa: S101 (constants, never input)
    return ", ".join(f"'{v}'" for v in values)


def ola_clocks_backfill(*, target: OlaTarget, at: datetime) -> int:
    """Start the target's clocks on the open tickets of its tier and priority that have no
    clock of that metric for their current stay (docs/ola.md): started at `at`, the moment the
    target takes effect (not back-dated to the ticket's entry into the tier, which would breach
    and notify a whole backlog at once); paused from `at` when the ticket is on hold; `take`
    only for tickets nobody holds. Returns how many clocks started.

    Set-based, whatever the number of tickets: one statement locks the tier's tickets of that
    priority (pk order, as every ticket write locks its row), so a concurrent ticket write
    either ends before and is seen, or waits until this transaction ends and then finds the
    clocks; then one INSERT … SELECT per metric. Idempotent: a second run finds the clocks
    (and the unique constraints, ON CONFLICT DO NOTHING, would refuse a second open one).
    Call inside the transaction that saved the target."""
    durations = [
        (metric, duration)
        for metric, duration in (
            (OlaMetric.TAKE, target.take_within),
            (OlaMetric.HANDOFF, target.handoff_within),
        )
        if duration is not None
    ]
    if not durations:
        return 0
    ticket_table = Ticket._meta.db_table
    ended = _quoted([str(s) for s in _ENDED_STATES])
    # Values as the fields store them on this database (SQLite keeps durations in integers).
    due_field = cast(models.DateTimeField, OlaClock._meta.get_field("due_at"))
    target_field = cast(models.DurationField, OlaClock._meta.get_field("target"))

    def moment(value: datetime) -> Any:
        return due_field.get_db_prep_value(value, connection)

    def duration_value(value: timedelta) -> Any:
        return target_field.get_db_prep_value(value, connection)

    calendar = CalendarCache()(target.calendar_id)
    started = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # (SQLite has one writer at a time anyway)
            # 1 the tickets, locked in pk order (ticket writes lock the same rows).
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT id FROM {ticket_table} "  # noqa: S608 (names)
                f"WHERE tier = %s AND priority = %s AND status NOT IN ({ended}) "
                "ORDER BY id FOR UPDATE) AS locked",
                [target.tier, target.priority],
            )
        for metric, duration in durations:
            # Every clock started here shares its start, target and calendar, so its moments
            # too: the engine computes them once (sla.engine.schedule, as TierClocks._start).
            # Running, the sweep looks at it at its due time (breach_check_at); paused from
            # its start, never before it resumes.
            model = OlaClock(
                started_at=at, target=duration, paused=timedelta(0), pauses=[], alert_level=0
            )
            schedule(model, calendar)  # type: ignore[arg-type]
            # 2, 3 one statement per metric.
            cursor.execute(
                _BACKFILL_SQL.format(
                    clock=OlaClock._meta.db_table,
                    ticket=ticket_table,
                    ended=ended,
                    open=_quoted([str(s) for s in OPEN_CLOCK_STATES]),
                    any_assignee="1 = 1" if metric != OlaMetric.TAKE else "1 = 0",
                ),
                {
                    "tier": target.tier,
                    "priority": target.priority,
                    "metric": str(metric),
                    "calendar_id": target.calendar_id,
                    "at": moment(at),
                    "target": duration_value(duration),
                    "zero": duration_value(timedelta(0)),
                    "no_pauses": "[]",
                    "at_risk_at": moment(model.at_risk_at),
                    "warning_at": moment(model.warning_at),
                    "due_at": moment(model.due_at),
                    "on_hold": str(Status.ON_HOLD),
                    "paused": str(ClockState.PAUSED),
                    "running": str(ClockState.RUNNING),
                    "now": moment(timezone.now()),
                },
            )
            started += cursor.rowcount
    return started
