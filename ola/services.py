"""Writes of the OLA app: the hook the ticket writes call, and the targets (managers).

The hook runs inside the caller's transaction, on the ticket row it locked, so the OLA clocks
change together with the ticket change that moved them, or not at all.
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.models import Tier
from helpdesk.errors import DomainError
from ola.engine import TicketState, TierClocks
from ola.models import OlaClock, OlaTarget
from ola.selectors import ola_target_lookup
from sla.models import Calendar
from sla.selectors import CalendarCache
from tickets.models import EventKind, Status, Ticket, TicketEvent
from tickets.models_choices import Priority

# A change to one of these may move an OLA clock.
OLA_FIELDS = {"tier", "assignee_id", "priority"}
# A status change moves them only to or from these (hold, resolve, reopen, cancel or close).
OLA_STATES = {Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}
MUTABLE_FIELDS = [
    "priority",
    "calendar",
    "target",
    "paused",
    "paused_since",
    "pauses",
    "at_risk_at",
    "warning_at",
    "due_at",
    "stopped_at",
    "state",
    "alert_level",
    "next_alert_at",
    "updated_at",
]
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
    """Create or change the OLA target of a tier and priority. Running clocks keep their
    targets until the ticket's next priority change or its next tier."""
    _require_manager(actor)
    if tier not in Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    if priority not in Priority.values:
        raise DomainError(_("Choose a priority."), field="priority")
    if take_within is None and handoff_within is None:
        raise DomainError(_("Give a take or a hand-off time, or both."), field="take_within")
    for name, value in (("take_within", take_within), ("handoff_within", handoff_within)):
        if value is not None and value <= timedelta(0):
            raise DomainError(_("Targets must be longer than zero."), field=name)
    with transaction.atomic():
        clash = OlaTarget.objects.filter(tier=tier, priority=priority)
        if target is not None:
            clash = clash.exclude(pk=target.pk)
        if clash.exists():
            raise DomainError(
                _("There is already an OLA target for this tier and priority."), field="priority"
            )
        target = target or OlaTarget()
        target.tier, target.priority = tier, priority
        target.take_within, target.handoff_within = take_within, handoff_within
        target.calendar = calendar
        target.save()
    return target


def ola_target_delete(*, actor: User, target: OlaTarget) -> None:
    _require_manager(actor)
    target.delete()
