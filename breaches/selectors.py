"""Reads of the breach register. The gate: security officers and managers only; others 404."""

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Role, User
from breaches.models import (
    AuthorityNotification,
    Breach,
    BreachAttachment,
    BreachAuditEntry,
    BreachNote,
    BreachStatus,
)
from helpdesk.ids import parse_id
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_user

READER_ROLES = (Role.SECURITY_OFFICER, Role.MANAGER)


def breach_can_read(*, user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in READER_ROLES)


def breach_can_change(*, user: User) -> bool:
    """Managers read the register; only security officers change it."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.SECURITY_OFFICER)


def breaches_visible_to(*, user: User) -> QuerySet[Breach]:
    if not breach_can_read(user=user):
        return Breach.objects.none()
    return Breach.objects.all()


def breach_list(*, user: User, status: str = "", search: str = "") -> QuerySet[Breach]:
    """The register, one query: the breach, its reporter and its first notification time."""
    queryset = (
        breaches_visible_to(user=user)
        .select_related("reporter")
        .annotate(
            first_notified_at=Min(
                "authority_notifications__notified_at",
                filter=Q(authority_notifications__phase="initial"),
            )
        )
    )
    if status in BreachStatus.values:
        queryset = queryset.filter(status=status)
    search = search.strip()
    if search:
        value = search.upper().removeprefix("BRE-")
        number = parse_id(value)
        if number is not None:
            queryset = queryset.filter(pk=number)
        else:
            queryset = queryset.filter(title__icontains=search)
    return queryset.order_by("-id")


def breach_get_for_user(*, user: User, breach_id: int | str) -> Breach:
    """The one gate: a breach the user may read, or 404 (never revealing that it exists)."""
    try:
        return breaches_visible_to(user=user).select_related("reporter").get(pk=int(breach_id))
    except (Breach.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such breach.")) from None


def breach_tickets(*, breach: Breach) -> QuerySet[Ticket]:
    return breach.tickets.select_related("requester").order_by("-id")


def breach_notes(*, breach: Breach) -> QuerySet[BreachNote]:
    return breach.notes.select_related("author")


def breach_attachments(*, breach: Breach) -> QuerySet[BreachAttachment]:
    return breach.attachments.select_related("uploaded_by")


def breach_attachment_for_user(
    *, user: User, breach_id: int | str, attachment_id: int | str
) -> BreachAttachment:
    breach = breach_get_for_user(user=user, breach_id=breach_id)
    try:
        return breach.attachments.get(pk=int(attachment_id))
    except (BreachAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such file.")) from None


def breach_authority_notifications(*, breach: Breach) -> QuerySet[AuthorityNotification]:
    return breach.authority_notifications.select_related("recorded_by")


def breach_history(*, breach: Breach) -> QuerySet[BreachAuditEntry]:
    return breach.audit_entries.select_related("actor")


def breach_detail(*, user: User, breach_id: int | str) -> Breach:
    """One breach with everything its page shows, in a fixed number of queries."""
    try:
        return (
            breaches_visible_to(user=user)
            .select_related("reporter")
            .prefetch_related(
                Prefetch("tickets", queryset=Ticket.objects.select_related("requester")),
                Prefetch("notes", queryset=BreachNote.objects.select_related("author")),
                Prefetch(
                    "attachments", queryset=BreachAttachment.objects.select_related("uploaded_by")
                ),
                Prefetch(
                    "authority_notifications",
                    queryset=AuthorityNotification.objects.select_related("recorded_by"),
                ),
                "clock_events",
            )
            .get(pk=int(breach_id))
        )
    except (Breach.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such breach.")) from None


def ticket_breaches_for_user(*, user: User, ticket: Ticket) -> list[Breach]:
    """The breaches linked to a ticket, for those who may see them; [] for everyone else."""
    if not breach_can_read(user=user):
        return []
    return list(ticket.breaches.order_by("-id"))  # type: ignore[attr-defined]


def ticket_is_flagged(*, ticket: Ticket) -> bool:
    """Whether an open breach is linked (an agent sees only that it was reported)."""
    return bool(ticket.breaches.filter(status=BreachStatus.OPEN).exists())  # type: ignore[attr-defined]


def ticket_for_flagging(*, user: User, ticket_id: int) -> Ticket:
    """The ticket an agent flags: they must be able to read it (the one ticket gate)."""
    return ticket_get_for_user(user=user, ticket_id=ticket_id)


def breach_register_rows(*, user: User) -> QuerySet[Breach]:
    """The CSV export: every breach the user may read, oldest first, with counts."""
    return (
        breach_list(user=user).annotate(ticket_count=Count("tickets", distinct=True)).order_by("id")
    )
