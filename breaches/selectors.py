"""Reads of the breach register. The gate: security officers and managers only; others 404."""

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Role, User
from breaches.models import (
    EDITABLE_FIELDS,
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
        # A number ('12', '#12', 'BRE-000012') finds that breach and, as any text, the titles
        # containing it ("Phishing wave 2025"): it found the breach alone.
        number = parse_id(search.upper().lstrip("#").removeprefix("BRE-"))
        digits = search.lstrip("#").strip()
        title = Q(title__icontains=digits if digits.isdigit() else search)
        queryset = queryset.filter(title | Q(pk=number) if number is not None else title)
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
            .annotate(version=_version_subquery())
            .get(pk=int(breach_id))
        )
    except (Breach.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such breach.")) from None


# --- versions: what changed since a reader loaded a breach ---------------------------------------
#
# A breach's *version* is the id of its newest audit entry. Every write to a breach's fields
# writes one under the breach's row lock (the services' recipe), so an entry above a reader's
# version is a change they have not seen, and its [old, new] pairs say which fields it changed.


def _version_subquery() -> Coalesce:
    newest = BreachAuditEntry.objects.filter(breach=OuterRef("pk")).order_by("-id").values("id")
    return Coalesce(Subquery(newest[:1]), 0, output_field=IntegerField())


def breach_version(*, breach: Breach) -> int:
    """The breach's version now (one query)."""
    newest = BreachAuditEntry.objects.filter(breach=breach).aggregate(newest=Max("id"))
    return int(newest["newest"] or 0)


@dataclass(frozen=True)
class FieldChange:
    """An editable field someone changed after a reader's version."""

    read: Any  # its value as of the reader's version
    actor: User | None  # who changed it last


def breach_changes_since(*, breach: Breach, version: int) -> dict[str, FieldChange]:
    """The editable fields changed after `version`, each with the value the reader saw (the
    "old" of the first change after it) and who changed it last: one query."""
    entries = (
        BreachAuditEntry.objects.filter(breach=breach, pk__gt=version)
        .select_related("actor")
        .order_by("pk")
    )
    read: dict[str, Any] = {}
    actors: dict[str, User | None] = {}
    for entry in entries:
        for name, pair in (entry.changes or {}).items():
            if name in EDITABLE_FIELDS and isinstance(pair, list) and len(pair) == 2:
                read.setdefault(name, pair[0])
                actors[name] = entry.actor
    fields = {field.name: field for field in Breach._meta.concrete_fields}
    return {
        name: FieldChange(read=fields[name].to_python(value), actor=actors[name])
        for name, value in read.items()
    }


def breach_values_at(*, breach: Breach, version: int) -> dict[str, Any]:
    """The editable fields as a reader at `version` saw them (what their form was filled with)."""
    values = {name: getattr(breach, name) for name in EDITABLE_FIELDS}
    changes = breach_changes_since(breach=breach, version=version)
    values.update({name: change.read for name, change in changes.items()})
    return values


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
