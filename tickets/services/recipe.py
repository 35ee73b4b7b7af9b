"""The one recipe of every ticket write: lock the row, run the transition, save what
changed, record the event, publish what happened (tickets.hooks) — all in one transaction."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from accounts.models import User
from helpdesk.inserts import insert_rows
from tickets import hooks
from tickets.models import EventKind, Ticket, TicketEvent

# Fields whose change is written to the event's `changes` and saved.
TRACKED_FIELDS = [
    "kind",
    "title",
    "description",
    "category_id",
    "impact",
    "urgency",
    "priority",
    "priority_is_provisional",
    "priority_override_reason",
    "tier",
    "support_group_id",
    "assignee_id",
    "closure_code",
    "merged_into_id",
    "resolution_summary",
    "contact_name",
    "contact_email",
    "contact_phone",
    "affected",
]
MILESTONE_FIELDS = [
    "first_response_at",
    "last_escalated_at",
    "escalation_count",
    "resolved_at",
    "closed_at",
    "reopen_count",
]


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {field: getattr(ticket, field) for field in TRACKED_FIELDS + MILESTONE_FIELDS}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def record(
    *,
    ticket: Ticket,
    actor: User | None,
    before: dict[str, Any],
    from_status: str,
    transition: str = "",
    reason: str = "",
    reason_is_internal: bool = False,
    at: datetime,
    move_clocks: bool = False,
) -> TicketEvent | None:
    """Save what changed on the locked ticket and write its event; None if nothing changed.

    `move_clocks`: TicketSaving is published before the ticket is saved (the SLA clocks move),
    so what its reactions set on it (time_to_resolve on a resolve) goes out in the same UPDATE.
    """
    after = snapshot(ticket)
    changed = [field for field in after if after[field] != before[field]]
    if not changed and from_status == ticket.status:
        return None
    event = TicketEvent(
        ticket=ticket,
        actor=actor,
        created_at=at,
        kind=EventKind.TRANSITION if transition else EventKind.CHANGE,
        transition=transition,
        from_status=from_status if transition else "",
        to_status=ticket.status if transition else "",
        changes={
            field: [_json_value(before[field]), _json_value(after[field])]
            for field in changed
            if field in TRACKED_FIELDS
        },
        reason=reason,
        reason_is_internal=reason_is_internal,
    )
    set_by_reactions = (
        [
            field
            for fields in hooks.publish(hooks.TicketSaving(ticket=ticket, event=event, at=at))
            for field in fields
        ]
        if move_clocks
        else []
    )
    ticket.save(update_fields=[*changed, *set_by_reactions, "status", "updated_at"])
    insert_rows([event])
    return event


def lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def transition(
    *,
    ticket: Ticket,
    actor: User | None,
    name: str,
    apply: Callable[[Ticket], None],
    reason: str = "",
    reason_is_internal: bool = False,
    check: Callable[[Ticket], None] | None = None,
    at: datetime | None = None,
    reroute: bool = False,
) -> Ticket:
    """Run one FSM transition on a freshly locked row; raises TransitionNotAllowed on conflict.

    `reroute`: the transition sets what routing reads (kind, category, priority), so the ticket
    is routed again (the escalation app's reaction to TicketTransitioned) in the same transaction.
    """
    at = at or timezone.now()
    with transaction.atomic():
        locked = lock(ticket)
        # For agents the state comes first: one who lost a race (the ticket moved on, perhaps
        # to another tier) gets a 409 with the current state, not a permission error.
        method = getattr(locked, name, None)
        agent_or_system = actor is None or actor.is_agent
        if agent_or_system and method and not can_proceed(method, check_conditions=False):
            raise_not_allowed(locked, name)
        if check is not None:
            check(locked)
        before, from_status = snapshot(locked), locked.status
        apply(locked)
        event = record(
            ticket=locked,
            actor=actor,
            before=before,
            from_status=from_status,
            transition=name,
            reason=reason,
            reason_is_internal=reason_is_internal,
            at=at,
            move_clocks=True,
        )
        hooks.publish(
            hooks.TicketTransitioned(
                ticket=locked, event=event, actor=actor, at=at, reroute=reroute
            )
        )
    return locked


def raise_not_allowed(ticket: Ticket, method: str) -> None:
    raise TransitionNotAllowed(
        f"Can't {method} from state '{ticket.status}'", object=ticket, method=method
    )
