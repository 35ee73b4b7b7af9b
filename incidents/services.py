"""Major incidents: declare, link tickets, post public status updates, remind when overdue."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat.services import chat_on_status_update
from helpdesk.errors import ConflictError, DomainError
from incidents.models import (
    IncidentStatus,
    MajorIncident,
    MajorIncidentLink,
    StatusUpdate,
)
from notifications.models import NotificationKind
from notifications.services import notification_enqueue
from tickets.models import EventKind, Priority, Status, Ticket, TicketEvent
from tickets.selectors import ticket_get_for_user
from tickets.services import ticket_resolve_with_parent


def _require_agent(actor: User) -> None:
    if not actor.is_agent:
        raise PermissionDenied(_("Only support agents can manage major incidents."))


def _visible_ticket(*, actor: User, ticket: Ticket) -> Ticket:
    # The access gate: an agent links or declares only what they can read (404 otherwise).
    return ticket_get_for_user(user=actor, ticket_id=ticket.pk)


def major_incident_require_open(*, incident: MajorIncident) -> None:
    """The state refusal (409) before any complaint about the input: an update or link sent
    to a resolved incident with a bad date too got "Enter a date between …", and the agent
    fixed the date only to be told then that nothing could be posted. The callers (pages,
    API) ask this before they check what was typed; the services ask it again under the lock."""
    if incident.is_resolved:
        raise ConflictError(_("This major incident is already resolved."))


def _validate_update(
    *, status: str, message: str, next_update_due_at: datetime | None, now: datetime
) -> None:
    if status not in IncidentStatus.values:
        raise DomainError(_("Unknown status."), field="status")
    if not message.strip():
        raise DomainError(_("Write the update for the people affected."), field="message")
    if status == IncidentStatus.RESOLVED:
        return
    if next_update_due_at is None:
        raise DomainError(_("Say when the next update is due."), field="next_update_due_at")
    if next_update_due_at <= now:
        raise DomainError(
            _("The next update must be due in the future."), field="next_update_due_at"
        )


def _event(*, ticket: Ticket, actor: User, reason: str, changes: dict, at: datetime) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        created_at=at,
        kind=EventKind.CHANGE,
        changes=changes,
        reason=reason,
    )


def major_incident_declare(
    *,
    ticket: Ticket,
    actor: User,
    public_title: str,
    message: str,
    next_update_due_at: datetime,
    public_title_es: str = "",
    public_summary: str = "",
    public_summary_es: str = "",
    message_es: str = "",
    affected_services: str = "",
) -> MajorIncident:
    """Mark a P1 as a major incident and post its first public update (investigating)."""
    _require_agent(actor)
    ticket = _visible_ticket(actor=actor, ticket=ticket)
    public_title = public_title.strip()
    if not public_title:
        raise DomainError(_("A public title is required."), field="public_title")
    now = timezone.now()
    _validate_update(
        status=IncidentStatus.INVESTIGATING,
        message=message,
        next_update_due_at=next_update_due_at,
        now=now,
    )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.priority != Priority.P1:
            raise DomainError(_("Only a P1 ticket can be declared a major incident."))
        if locked.status in (Status.RESOLVED, Status.CLOSED):
            raise DomainError(_("This ticket is already resolved."))
        if MajorIncident.objects.filter(ticket=locked).exists():
            raise ConflictError(_("This ticket is already a major incident."))
        if MajorIncidentLink.objects.filter(ticket=locked).exists():
            raise ConflictError(_("This ticket is linked to another major incident."))
        incident = MajorIncident.objects.create(
            ticket=locked,
            public_title=public_title,
            public_title_es=public_title_es.strip(),
            public_summary=public_summary.strip(),
            public_summary_es=public_summary_es.strip(),
            affected_services=affected_services.strip(),
            owner=actor,
            started_at=now,
        )
        _event(
            ticket=locked,
            actor=actor,
            reason=_("Declared a major incident."),
            changes={"major_incident": [None, incident.pk]},
            at=now,
        )
        _post(
            incident=incident,
            actor=actor,
            status=IncidentStatus.INVESTIGATING,
            message=message,
            message_es=message_es,
            next_update_due_at=next_update_due_at,
            now=now,
        )
    return incident


def major_incident_link(
    *, incident: MajorIncident, ticket: Ticket, actor: User
) -> MajorIncidentLink:
    """Link an affected ticket: its requester gets the updates; it follows the resolution."""
    _require_agent(actor)
    major_incident_require_open(incident=incident)
    ticket = _visible_ticket(actor=actor, ticket=ticket)
    now = timezone.now()
    with transaction.atomic():
        locked = MajorIncident.objects.select_for_update().get(pk=incident.pk)
        major_incident_require_open(incident=locked)
        if ticket.pk == locked.ticket_id or MajorIncident.objects.filter(ticket=ticket).exists():
            raise DomainError(_("A major incident's own ticket cannot be linked."), field="ticket")
        if ticket.status == Status.CLOSED:
            raise DomainError(_("A closed ticket cannot be linked."), field="ticket")
        existing = MajorIncidentLink.objects.filter(ticket=ticket).first()
        if existing is not None:
            if existing.major_incident_id == locked.pk:
                return existing
            raise ConflictError(_("This ticket is linked to another major incident."))
        link = MajorIncidentLink.objects.create(
            major_incident=locked, ticket=ticket, linked_by=actor, created_at=now
        )
        _event(
            ticket=ticket,
            actor=actor,
            reason=_("Linked to major incident %(reference)s.")
            % {"reference": locked.ticket.reference},
            changes={"major_incident": [None, locked.pk]},
            at=now,
        )
    return link


def major_incident_unlink(*, incident: MajorIncident, ticket: Ticket, actor: User) -> None:
    _require_agent(actor)
    now = timezone.now()
    with transaction.atomic():
        deleted, _rows = MajorIncidentLink.objects.filter(
            major_incident=incident, ticket=ticket, followed_at__isnull=True
        ).delete()
        if deleted:
            _event(
                ticket=ticket,
                actor=actor,
                reason=_("Unlinked from major incident %(reference)s.")
                % {"reference": incident.ticket.reference},
                changes={"major_incident": [incident.pk, None]},
                at=now,
            )


def status_update_post(
    *,
    incident: MajorIncident,
    actor: User,
    status: str,
    message: str,
    message_es: str = "",
    next_update_due_at: datetime | None = None,
) -> StatusUpdate:
    """Post a public update; `resolved` also resolves the parent ticket and every child."""
    _require_agent(actor)
    major_incident_require_open(incident=incident)
    now = timezone.now()
    _validate_update(status=status, message=message, next_update_due_at=next_update_due_at, now=now)
    with transaction.atomic():
        locked = (
            MajorIncident.objects.select_for_update().select_related("ticket").get(pk=incident.pk)
        )
        major_incident_require_open(incident=locked)
        update = _post(
            incident=locked,
            actor=actor,
            status=status,
            message=message,
            message_es=message_es,
            next_update_due_at=None if status == IncidentStatus.RESOLVED else next_update_due_at,
            now=now,
        )
        if status == IncidentStatus.RESOLVED:
            _follow_resolution(incident=locked, actor=actor, summary=message.strip(), now=now)
    return update


def _post(
    *,
    incident: MajorIncident,
    actor: User,
    status: str,
    message: str,
    message_es: str,
    next_update_due_at: datetime | None,
    now: datetime,
) -> StatusUpdate:
    StatusUpdate.objects.filter(major_incident=incident, superseded_at__isnull=True).update(
        superseded_at=now
    )
    update = StatusUpdate.objects.create(
        major_incident=incident,
        status=status,
        message=message.strip(),
        message_es=message_es.strip(),
        author=actor,
        created_at=now,
        next_update_due_at=next_update_due_at,
    )
    incident.status = status
    incident.next_update_due_at = next_update_due_at
    fields = ["status", "next_update_due_at", "updated_at"]
    if status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
        fields.append("resolved_at")
    incident.save(update_fields=fields)
    _notify_requesters(incident=incident, update=update)
    chat_on_status_update(incident=incident, update=update)
    return update


def _notify_requesters(*, incident: MajorIncident, update: StatusUpdate) -> None:
    """Every requester of the parent or a linked ticket, once per update (not per ticket)."""
    tickets = Ticket.objects.filter(pk=incident.ticket_id) | Ticket.objects.filter(
        major_incident_link__major_incident=incident
    )
    first_ticket: dict[int, Ticket] = {}
    for ticket in tickets.select_related("requester").order_by("pk"):
        first_ticket.setdefault(ticket.requester_id, ticket)
    for ticket in first_ticket.values():
        notification_enqueue(
            recipient=ticket.requester,
            kind=NotificationKind.MAJOR_INCIDENT_UPDATE,
            ticket=ticket,
            cause=f"status_update:{update.pk}",
            context={"status_update_id": str(update.pk)},
        )


def _follow_resolution(
    *, incident: MajorIncident, actor: User, summary: str, now: datetime
) -> None:
    """The parent and then each child (locked in pk order) follow the resolution; recorded."""
    reference = incident.ticket.reference
    ticket_resolve_with_parent(
        ticket=incident.ticket, actor=actor, summary=summary, parent_reference=reference
    )
    links = MajorIncidentLink.objects.filter(
        major_incident=incident, followed_at__isnull=True
    ).select_related("ticket")
    for link in links.order_by("ticket_id"):
        outcome = ticket_resolve_with_parent(
            ticket=link.ticket, actor=actor, summary=summary, parent_reference=reference
        )
        link.followed_at = now
        link.follow_outcome = outcome
        link.save(update_fields=["followed_at", "follow_outcome"])


def major_incident_parent_resolved(*, ticket: Ticket, actor: User) -> None:
    """Reaction to TicketResolved (tickets.hooks): resolving the parent ticket resolves the
    major incident (a final public update with the resolution summary) and its children."""
    incident = (
        MajorIncident.objects.filter(ticket=ticket).exclude(status=IncidentStatus.RESOLVED).first()
    )
    if incident is None:
        return
    status_update_post(
        incident=incident,
        actor=actor,
        status=IncidentStatus.RESOLVED,
        message=ticket.resolution_summary,
    )


def overdue_updates_remind(*, now: datetime | None = None, limit: int = 200) -> int:
    """Remind the owner and the parent's assignee of each overdue update, once per update."""
    now = now or timezone.now()
    due = list(
        StatusUpdate.objects.filter(
            reminded_at__isnull=True,
            superseded_at__isnull=True,
            next_update_due_at__lte=now,
        )
        .order_by("next_update_due_at")
        .values_list("pk", flat=True)[:limit]
    )
    reminded = 0
    for update_id in due:
        with transaction.atomic():
            # Compare-and-swap: of two sweeps running at once, one claims the update.
            if not StatusUpdate.objects.filter(pk=update_id, reminded_at__isnull=True).update(
                reminded_at=now
            ):
                continue
            update = StatusUpdate.objects.select_related(
                "major_incident__ticket__assignee", "major_incident__owner"
            ).get(pk=update_id)
            incident = update.major_incident
            if incident.is_resolved:
                continue
            recipients = {incident.owner.pk: incident.owner}
            if incident.ticket.assignee is not None:
                recipients.setdefault(incident.ticket.assignee.pk, incident.ticket.assignee)
            for recipient in recipients.values():
                notification_enqueue(
                    recipient=recipient,
                    kind=NotificationKind.MAJOR_INCIDENT_OVERDUE,
                    ticket=incident.ticket,
                    cause=f"status_update:{update.pk}:overdue",
                    context={"status_update_id": str(update.pk)},
                )
            reminded += 1
    return reminded
