"""Every write to a ticket. One recipe: lock the row, transition, save, record, notify on commit."""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from accounts.models import Role, User
from escalation.membership import agent_tiers
from escalation.models import Tier
from helpdesk.errors import DomainError
from helpdesk.uploads import safe_filename, sniff_content_type
from tickets import hooks
from tickets.collisions import TicketVersion, refuse_if_changed
from tickets.models import (
    Attachment,
    Category,
    ClosureCode,
    Comment,
    EventKind,
    Kind,
    Level,
    Source,
    Status,
    Ticket,
    TicketEvent,
)
from tickets.models_choices import CANCEL_CODES, RESOLUTION_CODES
from tickets.priority import provisional_priority
from tickets.transitions import REASSIGNABLE_STATES, TRIAGE_STATES

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


# --- permissions -------------------------------------------------------------------------------


def _require_agent_at_tier(*, actor: User, ticket: Ticket) -> None:
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    if ticket.tier not in agent_tiers(user=actor) and ticket.assignee_id != actor.pk:
        raise PermissionDenied(
            _("Only agents of %(tier)s can work on this ticket.")
            % {"tier": Tier(ticket.tier).label}
        )


def _require_agent_or_system(*, actor: User | None, ticket: Ticket) -> None:
    """actor None is the system itself (the monitoring intake triaging an alert): always allowed.
    Only services that document it accept None; views always pass the signed-in user."""
    if actor is not None:
        _require_agent_at_tier(actor=actor, ticket=ticket)


def _require_requester_or_agent(*, actor: User, ticket: Ticket) -> None:
    if actor.pk == ticket.requester_id:
        return
    _require_agent_at_tier(actor=actor, ticket=ticket)


# --- the recipe --------------------------------------------------------------------------------


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {field: getattr(ticket, field) for field in TRACKED_FIELDS + MILESTONE_FIELDS}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _record(
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
    after = _snapshot(ticket)
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
    event.save(force_insert=True)
    return event


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _transition(
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
        locked = _lock(ticket)
        # For agents the state comes first: one who lost a race (the ticket moved on, perhaps
        # to another tier) gets a 409 with the current state, not a permission error.
        method = getattr(locked, name, None)
        agent_or_system = actor is None or actor.is_agent
        if agent_or_system and method and not can_proceed(method, check_conditions=False):
            raise_not_allowed(locked, name)
        if check is not None:
            check(locked)
        before, from_status = _snapshot(locked), locked.status
        apply(locked)
        event = _record(
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


# --- create ------------------------------------------------------------------------------------


def ticket_create(
    *,
    requester: User,
    title: str,
    description: str,
    urgency: str = Level.MEDIUM,
    category: Category | None = None,
    kind: str = Kind.INCIDENT,
    affected: str = "",
    source: str = Source.WEB,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    files: Iterable[UploadedFile] = (),
) -> Ticket:
    title, description = title.strip(), description.strip()
    if not title:
        raise DomainError(_("A title is required."), field="title")
    if not description:
        raise DomainError(_("A description is required."), field="description")
    if urgency not in Level.values:
        raise DomainError(_("Urgency must be high, medium or low."), field="urgency")
    files = list(files)
    for upload in files:
        _validate_upload(upload)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.create(
            kind=kind,
            title=title,
            description=description,
            source=source,
            requester=requester,
            organisation_id=requester.organisation_id,
            contact_name=contact_name or requester.name,
            contact_email=contact_email or requester.email,
            contact_phone=contact_phone or requester.phone,
            affected=affected,
            category=category,
            impact=Level.LOW,
            urgency=urgency,
            priority=provisional_priority(urgency=urgency),
            priority_is_provisional=True,
            created_at=now,
        )
        created = TicketEvent.objects.create(
            ticket=ticket,
            actor=requester,
            created_at=now,
            kind=EventKind.CREATED,
            to_status=Status.NEW,
        )
        for upload in files:
            _store_attachment(ticket=ticket, actor=requester, upload=upload, comment=None)
        # Routed, then the clocks start on the provisional priority; the requester is told.
        hooks.publish(hooks.TicketCreated(ticket=ticket, event=created, at=now))
    return ticket


# --- the lifecycle -----------------------------------------------------------------------------


def ticket_identify(
    *, ticket: Ticket, actor: User | None, kind: str, reroute: bool = True
) -> Ticket:
    """`reroute=False` when a later step of the same triage routes the ticket anyway."""
    if kind not in Kind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    return _transition(
        ticket=ticket,
        actor=actor,
        name="identify",
        check=lambda t: _require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.identify(kind=kind),
        reroute=reroute,
    )


def ticket_categorize(
    *, ticket: Ticket, actor: User | None, category: Category, reroute: bool = True
) -> Ticket:
    _validate_category(category)
    return _transition(
        ticket=ticket,
        actor=actor,
        name="categorize",
        check=lambda t: _require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.categorize(category=category),
        reroute=reroute,
    )


def ticket_prioritize(
    *,
    ticket: Ticket,
    actor: User | None,
    impact: str,
    urgency: str,
    override: int | None = None,
    reason: str = "",
) -> Ticket:
    _validate_priority_input(impact=impact, urgency=urgency, override=override, reason=reason)
    return _transition(
        ticket=ticket,
        actor=actor,
        name="prioritize",
        reason=reason,
        check=lambda t: _require_agent_or_system(actor=actor, ticket=t),
        apply=lambda t: t.prioritize(
            impact=impact, urgency=urgency, override=override, reason=reason
        ),
        reroute=True,
    )


def ticket_triage(
    *,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    category: Category,
    impact: str,
    urgency: str,
    override: int | None = None,
    reason: str = "",
) -> Ticket:
    """identify + categorize + prioritize in one transaction, each its own event.

    Steps already done are skipped, so triage also finishes a half-triaged ticket.
    actor None: the system triages (a monitoring alert, with impact/urgency from its rules).
    """
    if kind not in Kind.values:
        raise DomainError(_("Unknown kind."), field="kind")
    _validate_category(category)
    _validate_priority_input(impact=impact, urgency=urgency, override=override, reason=reason)
    with transaction.atomic():
        locked = _lock(ticket)
        if (actor is None or actor.is_agent) and locked.status not in TRIAGE_STATES:
            raise_not_allowed(locked, "triage")  # lost a race: 409 before any permission check
        _require_agent_or_system(actor=actor, ticket=locked)
        if locked.status not in TRIAGE_STATES:
            raise_not_allowed(locked, "triage")
        # Routing reads kind, category and priority: route once, after the last step.
        if locked.status == Status.NEW:
            locked = ticket_identify(ticket=locked, actor=actor, kind=kind, reroute=False)
        if locked.status == Status.LOGGED:
            locked = ticket_categorize(ticket=locked, actor=actor, category=category, reroute=False)
        locked = ticket_prioritize(
            ticket=locked,
            actor=actor,
            impact=impact,
            urgency=urgency,
            override=override,
            reason=reason,
        )
    return locked


def raise_not_allowed(ticket: Ticket, method: str) -> None:
    raise TransitionNotAllowed(
        f"Can't {method} from state '{ticket.status}'", object=ticket, method=method
    )


def ticket_start_diagnosis(*, ticket: Ticket, actor: User, assignee: User) -> Ticket:
    """Assign a prioritized ticket to an agent of its tier, who starts diagnosing it."""

    def check(t: Ticket) -> None:
        _require_agent_at_tier(actor=actor, ticket=t)
        _require_assignable(assignee=assignee, ticket=t)

    return _transition(
        ticket=ticket,
        actor=actor,
        name="start_diagnosis",
        check=check,
        apply=lambda t: t.start_diagnosis(assignee=assignee),
    )


def ticket_take(*, ticket: Ticket, actor: User) -> Ticket:
    """An agent of the ticket's current tier takes it (from its queue)."""

    def check(t: Ticket) -> None:
        if not actor.is_agent or t.tier not in agent_tiers(user=actor):
            raise PermissionDenied(
                _("Only agents of %(tier)s can take this ticket.") % {"tier": Tier(t.tier).label}
            )

    return _transition(
        ticket=ticket, actor=actor, name="take", check=check, apply=lambda t: t.take(agent=actor)
    )


def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Functional escalation: the next tier's queue, waiting for one of its agents to take it."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is escalated."), field="reason")
    now = timezone.now()

    def check(t: Ticket) -> None:
        _require_agent_at_tier(actor=actor, ticket=t)
        if t.status == Status.IN_DIAGNOSIS and t.tier >= Tier.L3:
            raise DomainError(_("L3 is the highest tier: this ticket cannot be escalated further."))

    return _transition(
        ticket=ticket,
        actor=actor,
        name="escalate",
        reason=reason,
        reason_is_internal=True,
        check=check,
        apply=lambda t: t.escalate(at=now),
        at=now,
    )


def ticket_deescalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Back to the lower tier's queue (tier − 1), waiting for one of its agents to take it."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket goes back to a lower tier."), field="reason")

    def check(t: Ticket) -> None:
        _require_agent_at_tier(actor=actor, ticket=t)
        if t.status in (Status.IN_DIAGNOSIS, Status.ESCALATED) and t.tier <= Tier.L1:
            raise DomainError(_("L1 is the lowest tier: this ticket cannot be de-escalated."))

    return _transition(
        ticket=ticket,
        actor=actor,
        name="deescalate",
        reason=reason,
        reason_is_internal=True,
        check=check,
        apply=lambda t: t.deescalate(),
    )


def ticket_reassign(*, ticket: Ticket, actor: User, assignee: User, reason: str) -> Ticket:
    """Hand the ticket to another agent of its tier (a field change; the new assignee is told)."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the ticket is reassigned."), field="reason")
    with transaction.atomic():
        locked = _lock(ticket)
        _require_agent_at_tier(actor=actor, ticket=locked)
        if locked.status not in REASSIGNABLE_STATES:
            raise_not_allowed(locked, "reassign")
        _require_assignable(assignee=assignee, ticket=locked)
        if locked.assignee_id == assignee.pk:
            raise DomainError(
                _("The ticket is already assigned to %(name)s.") % {"name": assignee.name},
                field="assignee",
            )
        before = _snapshot(locked)
        locked.assignee = assignee
        event = _record(
            ticket=locked,
            actor=actor,
            before=before,
            from_status=locked.status,
            reason=reason,
            reason_is_internal=True,
            at=timezone.now(),
        )
        if event is not None:
            hooks.publish(hooks.TicketReassigned(ticket=locked, event=event, actor=actor))
    return locked


def ticket_escalate_for_breach(*, ticket: Ticket, reason: str) -> Ticket:
    """Automatic functional escalation after a resolution-SLA breach: the system acts."""
    now = timezone.now()
    return _transition(
        ticket=ticket,
        actor=None,
        name="escalate_for_breach",
        reason=reason,
        reason_is_internal=True,
        apply=lambda t: t.escalate_for_breach(at=now),
        at=now,
    )


def ticket_hold(*, ticket: Ticket, actor: User, reason: str = "") -> Ticket:
    """Wait on the requester: the resolution clock pauses."""
    return _transition(
        ticket=ticket,
        actor=actor,
        name="hold",
        reason=reason.strip(),
        check=lambda t: _require_agent_at_tier(actor=actor, ticket=t),
        apply=lambda t: t.hold(),
    )


def ticket_resume(*, ticket: Ticket, actor: User | None, reason: str = "") -> Ticket:
    def check(t: Ticket) -> None:
        if actor is not None:
            _require_requester_or_agent(actor=actor, ticket=t)

    return _transition(
        ticket=ticket,
        actor=actor,
        name="resume",
        reason=reason.strip(),
        check=check,
        apply=lambda t: t.resume(),
    )


def ticket_resolve(*, ticket: Ticket, actor: User, summary: str, code: str) -> Ticket:
    summary = summary.strip()
    if not summary:
        raise DomainError(_("A resolution summary is required."), field="summary")
    if code not in RESOLUTION_CODES:
        raise DomainError(
            _("Choose a resolution code: %(codes)s.") % {"codes": ", ".join(RESOLUTION_CODES)},
            field="code",
        )
    now = timezone.now()
    with transaction.atomic():
        resolved = _transition(
            ticket=ticket,
            actor=actor,
            name="resolve",
            check=lambda t: _require_agent_at_tier(actor=actor, ticket=t),
            apply=lambda t: t.resolve(summary=summary, code=code, at=now),
            at=now,
        )
        # Resolving a major incident's parent ticket resolves the incident and its children.
        hooks.publish(hooks.TicketResolved(ticket=resolved, actor=actor))
    return resolved


def ticket_resolve_with_parent(
    *, ticket: Ticket, actor: User, summary: str, parent_reference: str
) -> str:
    """A ticket linked to a major incident follows the parent's resolution; returns what it did.

    The authority is the major incident's (an agent of any tier): a ticket being worked on is
    resolved with the parent's summary (resumed first if on hold); one nobody had started is
    closed as a duplicate of the parent, the summary recorded; resolved and closed ones are
    left alone. Each change is an ordinary transition with its event and notifications.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    reason = _("Resolved with major incident %(reference)s.") % {"reference": parent_reference}
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.status == Status.ON_HOLD:
            locked = _transition(
                ticket=locked, actor=actor, name="resume", reason=reason, apply=lambda t: t.resume()
            )
        if locked.status == Status.IN_DIAGNOSIS:
            _transition(
                ticket=locked,
                actor=actor,
                name="resolve",
                reason=reason,
                apply=lambda t: t.resolve(summary=summary, code=ClosureCode.FIXED, at=now),
                at=now,
            )
            return "resolved"
        if locked.status in (Status.RESOLVED, Status.CLOSED):
            return "unchanged"

        def close_as_duplicate(t: Ticket) -> None:
            t.resolution_summary = summary
            t.cancel(code=ClosureCode.DUPLICATE, at=now)

        _transition(
            ticket=locked,
            actor=actor,
            name="cancel",
            reason=reason,
            apply=close_as_duplicate,
            at=now,
        )
        return "closed_duplicate"


def ticket_recover(*, ticket: Ticket, summary: str, at: datetime | None = None) -> Ticket:
    """The system resolves an incident whose monitored service recovered (actor None).

    Only for the monitoring intake, and only before an agent has taken the incident (the FSM
    refuses in_diagnosis and on_hold)."""
    at = at or timezone.now()
    return _transition(
        ticket=ticket,
        actor=None,
        name="recover",
        reason=summary,
        apply=lambda t: t.recover(summary=summary, at=at),
        at=at,
    )


def ticket_relapse(*, ticket: Ticket, reason: str) -> Ticket:
    """The system puts a recovered incident back in its tier's queue: its alert fired again
    (actor None). A new resolution cycle starts, as with reopen."""
    return _transition(
        ticket=ticket,
        actor=None,
        name="relapse",
        reason=reason,
        reason_is_internal=True,
        apply=lambda t: t.relapse(),
    )


def ticket_close(*, ticket: Ticket, actor: User | None, reason: str = "") -> Ticket:
    """The requester confirms the resolution (or an agent for them, or the auto-close job)."""
    now = timezone.now()

    def check(t: Ticket) -> None:
        if actor is not None:
            _require_requester_or_agent(actor=actor, ticket=t)
        elif t.resolved_at is None or t.resolved_at >= now - timedelta(
            days=settings.HELPDESK_AUTO_CLOSE_DAYS
        ):
            # The system closes only what has waited long enough (a reopen resets resolved_at).
            raise_not_allowed(t, "close")

    with transaction.atomic():
        closed = _transition(
            ticket=ticket,
            actor=actor,
            name="close",
            reason=reason.strip(),
            check=check,
            apply=lambda t: t.close(at=now),
            at=now,
        )
        # The requester is asked to rate the ticket (csat app), in the same transaction.
        hooks.publish(hooks.TicketClosed(ticket=closed, at=now))
    return closed


def ticket_reopen(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """The requester rejects the resolution: back to diagnosis, at the same tier and assignee."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the resolution did not solve it."), field="reason")
    return _transition(
        ticket=ticket,
        actor=actor,
        name="reopen",
        reason=reason,
        check=lambda t: _require_requester_or_agent(actor=actor, ticket=t),
        apply=lambda t: t.reopen(),
    )


def ticket_cancel(*, ticket: Ticket, actor: User, code: str, reason: str = "") -> Ticket:
    if code not in CANCEL_CODES:
        raise DomainError(
            _("Choose a cancellation code: %(codes)s.") % {"codes": ", ".join(CANCEL_CODES)},
            field="code",
        )
    now = timezone.now()

    def check(t: Ticket) -> None:
        if actor.pk == t.requester_id:
            if code != ClosureCode.WITHDRAWN:
                raise PermissionDenied(_("A requester can only withdraw their own ticket."))
            return
        _require_agent_at_tier(actor=actor, ticket=t)

    return _transition(
        ticket=ticket,
        actor=actor,
        name="cancel",
        reason=reason.strip(),
        check=check,
        apply=lambda t: t.cancel(code=code, at=now),
        at=now,
    )


def ticket_merge(*, ticket: Ticket, into: Ticket, actor: User) -> Ticket:
    """Merge a duplicate into another ticket: `ticket` is closed as a duplicate of `into`
    (code duplicate, `merged_into` set; its running SLA clocks are cancelled, as any cancel's).

    Its conversation is then shown on `into` (tickets.views: staff see all of it; someone who
    is not staff sees it only when both tickets have the same requester). Each requester hears
    of it once: the duplicate's by its status email (which names `into` only when it is theirs
    too), the other ticket's — when it is someone else — by a `ticket_merged` email that names
    nobody. `into` gets a change event. Agents only, who may work on the duplicate; the caller
    reads `into` through the gate (ticket_get_for_user). Locks both rows in pk order.
    """
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can do this."))
    now = timezone.now()
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[ticket.pk, into.pk])
            .order_by("pk")
        }
        source, target = locked[ticket.pk], locked[into.pk]
        # As every transition: a lost race first (409), then whose ticket it is (403).
        if source.status == Status.CLOSED:
            raise_not_allowed(source, "merge")  # merged or closed meanwhile
        _require_agent_at_tier(actor=actor, ticket=source)
        if source.pk == target.pk:
            raise DomainError(_("A ticket cannot be merged into itself."), field="into")
        if target.status == Status.CLOSED:
            raise DomainError(
                _("%(reference)s is closed: merge into an open ticket.")
                % {"reference": target.reference},
                field="into",
            )
        merged = _transition(
            ticket=source,
            actor=actor,
            name="merge",
            check=lambda t: _require_agent_at_tier(actor=actor, ticket=t),
            apply=lambda t: t.merge(into=target, at=now),
            at=now,
        )
        TicketEvent.objects.create(
            ticket=target,
            actor=actor,
            created_at=now,
            kind=EventKind.CHANGE,
            changes={"merged_ticket_id": [None, source.pk]},
        )
        hooks.publish(hooks.TicketMerged(duplicate=merged, into=target, actor=actor))
    return merged


# --- changes without a state change ----------------------------------------------------------


def ticket_update(
    *,
    ticket: Ticket,
    actor: User,
    reason: str = "",
    **fields: Any,
) -> Ticket:
    """Edit details or reclassify (category, impact/urgency, priority override) with a reason.

    Recorded as one change event; a priority change recomputes the SLA clocks.
    """
    editable = {
        "title",
        "description",
        "contact_name",
        "contact_email",
        "contact_phone",
        "affected",
        "category",
        "impact",
        "urgency",
        "priority",
    }
    unknown = set(fields) - editable
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        locked = _lock(ticket)
        _require_agent_at_tier(actor=actor, ticket=locked)
        if locked.status == Status.CLOSED:
            raise DomainError(_("A closed ticket cannot be changed."))
        before = _snapshot(locked)
        for name in ("title", "description"):
            if name in fields:
                value = str(fields[name]).strip()
                if not value:
                    raise DomainError(_("This field cannot be empty."), field=name)
                setattr(locked, name, value)
        for name in ("contact_name", "contact_email", "contact_phone", "affected"):
            if name in fields:
                setattr(locked, name, str(fields[name]).strip())
        if "category" in fields:
            _validate_category(fields["category"])
            locked.category = fields["category"]
        if {"impact", "urgency", "priority"} & set(fields):
            impact = fields.get("impact", locked.impact)
            urgency = fields.get("urgency", locked.urgency)
            override = fields.get("priority")
            _validate_priority_input(
                impact=impact, urgency=urgency, override=override, reason=reason
            )
            if not reason.strip() and before["priority_is_provisional"] is False:
                raise DomainError(_("Say why the priority changes."), field="reason")
            locked.set_priority(impact=impact, urgency=urgency, override=override, reason=reason)
        now = timezone.now()
        event = _record(
            ticket=locked,
            actor=actor,
            before=before,
            from_status=locked.status,
            reason=reason.strip(),
            at=now,
        )
        reroute = bool({"category", "impact", "urgency", "priority"} & set(fields))
        hooks.publish(
            hooks.TicketChanged(ticket=locked, event=event, actor=actor, at=now, reroute=reroute)
        )
    return locked


def comment_create(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    is_internal: bool = False,
    files: Iterable[UploadedFile] = (),
    expected_version: TicketVersion | None = None,
) -> Comment:
    """A public reply or an internal note. A requester's reply resumes a ticket on hold and
    reopens a resolved one; an agent's first public reply stops the first-response clock.

    `expected_version`: the ticket as the author last read it; when someone else wrote since,
    nothing is saved and TicketChangedError says what changed (tickets/collisions.py)."""
    body = body.strip()
    if not body:
        raise DomainError(_("The message is empty."), field="body")
    files = list(files)
    for upload in files:
        _validate_upload(upload)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(ticket)
        is_requester = actor.pk == locked.requester_id
        if is_requester:
            if is_internal:
                raise PermissionDenied(_("Requesters cannot write internal notes."))
        elif actor.is_agent:
            _require_agent_at_tier(actor=actor, ticket=locked)
        else:
            raise PermissionDenied(_("You cannot reply to this ticket."))
        if locked.status == Status.CLOSED:
            raise DomainError(_("This ticket is closed; please open a new one."))
        if expected_version is not None:
            refuse_if_changed(ticket=locked, user=actor, since=expected_version)
        comment = Comment.objects.create(
            ticket=locked, author=actor, body=body, is_internal=is_internal, created_at=now
        )
        for upload in files:
            _store_attachment(ticket=locked, actor=actor, upload=upload, comment=comment)
        hooks.publish(hooks.CommentCreated(ticket=locked, comment=comment, at=now))
        first_response = False
        if is_requester:
            if locked.status == Status.ON_HOLD:
                ticket_resume(ticket=locked, actor=actor, reason=_("The requester replied."))
            elif locked.status == Status.RESOLVED:
                ticket_reopen(ticket=locked, actor=actor, reason=_("The requester replied."))
        elif not is_internal and locked.first_response_at is None:
            Ticket.objects.filter(pk=locked.pk).update(first_response_at=now)
            locked.first_response_at = now
            first_response = True
        hooks.publish(
            hooks.CommentFollowed(
                ticket=locked,
                comment=comment,
                actor=actor,
                by_requester=is_requester,
                first_response=first_response,
            )
        )
    return comment


# --- validation --------------------------------------------------------------------------------


def _validate_category(category: Category | None) -> None:
    if category is None:
        raise DomainError(_("Choose a category."), field="category")
    if not category.is_active:
        raise DomainError(_("This category is no longer in use."), field="category")


def _validate_priority_input(
    *, impact: str, urgency: str, override: int | None, reason: str
) -> None:
    if impact not in Level.values:
        raise DomainError(_("Impact must be high, medium or low."), field="impact")
    if urgency not in Level.values:
        raise DomainError(_("Urgency must be high, medium or low."), field="urgency")
    if override is not None:
        if override not in range(1, 6):
            raise DomainError(_("Priority must be between 1 and 5."), field="priority")
        if not reason.strip():
            raise DomainError(_("Say why the priority is overridden."), field="reason")


def _require_assignable(*, assignee: User, ticket: Ticket) -> None:
    if not assignee.is_agent or not assignee.is_active:
        raise DomainError(_("Tickets can only be assigned to active agents."), field="assignee")
    if ticket.tier not in agent_tiers(user=assignee):
        raise DomainError(
            _("%(name)s is not an agent of %(tier)s.")
            % {"name": assignee.name, "tier": Tier(ticket.tier).label},
            field="assignee",
        )


def _validate_upload(upload: UploadedFile) -> None:
    name = PurePath(upload.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise DomainError(
            _("Files of type “%(ext)s” are not accepted. Allowed: %(allowed)s.")
            % {
                "ext": extension or "?",
                "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
            },
            field="files",
        )
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        raise DomainError(
            _("“%(name)s” is larger than %(max)d MB.")
            % {"name": name, "max": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            field="files",
        )
    sniff_content_type(upload)  # the content must match the extension (images, PDF, zip)


def attachment_validate(*, upload: UploadedFile) -> None:
    """The size and type limits of every upload (web, API, email); DomainError if refused."""
    _validate_upload(upload)


def _store_attachment(
    *, ticket: Ticket, actor: User, upload: UploadedFile, comment: Comment | None
) -> Attachment:
    return Attachment.objects.create(
        ticket=ticket,
        comment=comment,
        file=upload,
        filename=safe_filename(upload.name or "file"),
        # Never the client's claim: what the bytes say (checked again in _validate_upload).
        content_type=sniff_content_type(upload),
        size=upload.size or 0,
        is_internal=bool(comment and comment.is_internal),
        uploaded_by=actor,
    )


def attachment_add(
    *, ticket: Ticket, actor: User, upload: UploadedFile, is_internal: bool = False
) -> Attachment:
    _validate_upload(upload)
    with transaction.atomic():
        locked = _lock(ticket)
        if actor.pk == locked.requester_id:
            if is_internal:
                raise PermissionDenied(_("Requesters cannot add internal files."))
        else:
            _require_agent_at_tier(actor=actor, ticket=locked)
        attachment = _store_attachment(ticket=locked, actor=actor, upload=upload, comment=None)
        if is_internal:
            attachment.is_internal = True
            attachment.save(update_fields=["is_internal"])
    return attachment


def requester_for_email(*, email: str, name: str = "", language: str = "") -> User:
    """The requester with this email, created (without a password) on first contact.

    Addresses are compared normalised (accounts.models.normalize_identity) and are unique: an
    address held by a staff account is refused (they sign in).
    """
    email = User.objects.normalize_email(email)
    if not email or "@" not in email or len(email) > 254:  # folding may lengthen it
        raise DomainError(_("A valid email address is required."), field="email")
    user = User.objects.filter(Q(email=email) | Q(username=email)).first()
    if user is not None:
        if user.role != Role.REQUESTER:
            raise DomainError(
                _("This address belongs to an account: please sign in."), field="email"
            )
        return user
    user = User(
        username=email[:150],
        email=email,
        display_name=name[:150],
        role=Role.REQUESTER,
        language=language or settings.LANGUAGE_CODE,
    )
    user.set_unusable_password()
    user.save()
    return user


def tickets_auto_close(*, batch_size: int = 200) -> int:
    """Close resolved tickets left unconfirmed for HELPDESK_AUTO_CLOSE_DAYS (actor: the system).

    Each ticket is closed by the normal transition, so a requester who reopens at the same moment
    wins or loses cleanly on the row lock; re-running closes nothing twice.
    """
    cutoff = timezone.now() - timedelta(days=settings.HELPDESK_AUTO_CLOSE_DAYS)
    due = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for ticket_id in due:
        try:
            ticket_close(
                ticket=Ticket(pk=ticket_id),
                actor=None,
                reason=_("Closed automatically: the resolution was not disputed."),
            )
        except TransitionNotAllowed:
            continue  # reopened or closed meanwhile
        closed += 1
    return closed
