"""Bulk actions from the console and the API: one action on many tickets, row by row.

Each ticket goes through the same service as the single-ticket action (its own transaction,
row lock, permission check, event and notifications), so one refusal never undoes the others:
every row gets its own outcome — done, or the 400 / 403 / 404 / 409 the single action gives.
Rows are worked in id order (row locks are always taken in pk order) and answered in the
order they were asked for.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import TransitionNotAllowed

from accounts.models import User
from helpdesk.errors import DomainError
from tickets import services
from tickets.models import Category, Status, Ticket
from tickets.models_choices import RESOLUTION_CODES
from tickets.selectors import ticket_get_for_user, tickets_visible_to
from tickets.transitions import REASSIGNABLE_STATES

# At most this many tickets per call: a call stays well under the request timeout.
MAX_BULK_IDS = 100

BULK_ACTIONS: dict[str, Any] = {
    "take": gettext_lazy("Take"),
    "assign": gettext_lazy("Assign"),
    "category": gettext_lazy("Set category"),
    "priority": gettext_lazy("Set priority"),
    "escalate": gettext_lazy("Escalate"),
    "hold": gettext_lazy("Wait on requester"),
    "resolve": gettext_lazy("Resolve"),
    "merge": gettext_lazy("Merge into ticket…"),
}


@dataclass(frozen=True)
class BulkArgs:
    """What the action needs; each action reads its own (checked by `bulk_args_check`)."""

    reason: str = ""
    assignee: User | None = None
    category: Category | None = None
    priority: int | None = None
    summary: str = ""
    code: str = ""
    into: int | None = None  # merge: the ticket the others are merged into


@dataclass(frozen=True)
class BulkOutcome:
    ticket_id: int
    reference: str
    ok: bool
    code: int  # 200 done; else what the single action answers: 400, 403, 404 or 409
    message: str
    status: str  # the ticket's state after the attempt ("" when it is not found)


def bulk_args_check(*, action: str, ids: Sequence[int], args: BulkArgs) -> list[int]:
    """The ids to work on (duplicates dropped, order kept); DomainError (400) for a request no
    row could succeed with: an unknown action, no ids or too many, a missing argument."""
    if action not in BULK_ACTIONS:
        raise DomainError(_("Unknown bulk action."), field="action")
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise DomainError(_("Select at least one ticket."), field="ids")
    if len(unique) > MAX_BULK_IDS:
        raise DomainError(
            _("At most %(max)d tickets at a time.") % {"max": MAX_BULK_IDS}, field="ids"
        )
    required: dict[str, list[tuple[str, str]]] = {
        "assign": [("assignee", _("Choose the agent to assign to."))],
        "category": [("category", _("Choose a category."))],
        "priority": [
            ("priority", _("Choose a priority.")),
            ("reason", _("Say why the priority changes.")),
        ],
        "escalate": [("reason", _("Say why the tickets are escalated."))],
        "resolve": [
            ("summary", _("A resolution summary is required.")),
            ("code", _("Choose a resolution code.")),
        ],
        "merge": [("into", _("Give the number of the ticket to merge into."))],
    }
    for field, message in required.get(action, []):
        value = getattr(args, field)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            raise DomainError(message, field=field)
    if action == "resolve" and args.code not in RESOLUTION_CODES:
        raise DomainError(_("Choose a resolution code."), field="code")
    if action == "priority" and args.priority not in range(1, 6):
        raise DomainError(_("Priority must be between 1 and 5."), field="priority")
    return unique


def _assign(ticket: Ticket, actor: User, args: BulkArgs) -> Ticket:
    assignee = args.assignee
    if assignee is None:  # bulk_args_check refuses it first
        raise DomainError(_("Choose the agent to assign to."), field="assignee")
    if ticket.status in REASSIGNABLE_STATES:
        return services.ticket_reassign(
            ticket=ticket, actor=actor, assignee=assignee, reason=args.reason
        )
    return services.ticket_start_diagnosis(ticket=ticket, actor=actor, assignee=assignee)


RUNNERS: dict[str, Callable[[Ticket, User, BulkArgs], Ticket]] = {
    "take": lambda t, u, a: services.ticket_take(ticket=t, actor=u),
    "assign": _assign,
    "category": lambda t, u, a: services.ticket_update(
        ticket=t, actor=u, reason=a.reason, category=a.category
    ),
    "priority": lambda t, u, a: services.ticket_update(
        ticket=t, actor=u, reason=a.reason, priority=a.priority
    ),
    "escalate": lambda t, u, a: services.ticket_escalate(ticket=t, actor=u, reason=a.reason),
    "hold": lambda t, u, a: services.ticket_hold(ticket=t, actor=u, reason=a.reason),
    "resolve": lambda t, u, a: services.ticket_resolve(
        ticket=t, actor=u, summary=a.summary, code=a.code
    ),
}


def _merge_runner(*, actor: User, into_id: int) -> Callable[[Ticket, User, BulkArgs], Ticket]:
    """Merge each ticket into one: the target read once through the gate (400 if unreadable)."""
    try:
        into = ticket_get_for_user(user=actor, ticket_id=into_id)
    except Http404:
        raise DomainError(_("No such ticket."), field="into") from None
    return lambda t, u, a: services.ticket_merge(ticket=t, into=into, actor=u)


def not_allowed_message(ticket: Ticket) -> str:
    """The 409's words, as the API's exception handler says them."""
    return _("This action is not allowed while the ticket is %(status)s.") % {
        "status": Status(ticket.status).label
    }


def tickets_bulk_apply(
    *, actor: User, action: str, ids: Sequence[int], args: BulkArgs
) -> list[BulkOutcome]:
    """Run `action` on each ticket; one outcome per distinct id, in the order asked.

    Only agents act (PermissionDenied otherwise); a ticket the actor cannot read is a 404 row,
    never revealed. The rest is each service's own decision.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    unique = bulk_args_check(action=action, ids=ids, args=args)
    run = RUNNERS.get(action) or _merge_runner(actor=actor, into_id=args.into or 0)
    visible = {
        t.pk: t
        for t in tickets_visible_to(user=actor).filter(pk__in=unique).only("pk", "kind", "status")
    }  # one query
    outcomes = {
        ticket_id: bulk_run_one(
            ticket=visible.get(ticket_id), ticket_id=ticket_id, run=lambda t: run(t, actor, args)
        )
        for ticket_id in sorted(unique)
    }
    return [outcomes[ticket_id] for ticket_id in unique]


def bulk_run_one(
    *, ticket: Ticket | None, ticket_id: int, run: Callable[[Ticket], Ticket]
) -> BulkOutcome:
    """One row: the service's answer as an outcome (the API's status code and message)."""
    if ticket is None:
        return BulkOutcome(ticket_id, f"#{ticket_id}", False, 404, _("No such ticket."), "")
    try:
        done = run(ticket)
    except TransitionNotAllowed as error:
        current = getattr(error, "object", None) or ticket
        return BulkOutcome(
            ticket_id, ticket.reference, False, 409, not_allowed_message(current), current.status
        )
    except DomainError as error:
        return BulkOutcome(
            ticket_id, ticket.reference, False, error.status_code, error.message, ticket.status
        )
    except PermissionDenied as error:
        message = str(error) or _("You do not have permission to do this.")
        return BulkOutcome(ticket_id, ticket.reference, False, 403, message, ticket.status)
    return BulkOutcome(ticket_id, ticket.reference, True, 200, _("Done."), done.status)
