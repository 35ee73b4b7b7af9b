"""New tickets, and the requester an email address stands for."""

from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from helpdesk.errors import DomainError
from helpdesk.inserts import insert_rows
from helpdesk.text import shows_something
from tickets import hooks
from tickets.models import Category, EventKind, Kind, Level, Source, Status, Ticket, TicketEvent
from tickets.priority import provisional_priority
from tickets.services.attachments import attachment_store, validate_upload


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
    # Zero-width spaces or direction marks alone (strip() keeps them) would list as an empty line.
    if not shows_something(title):
        raise DomainError(_("A title is required."), field="title")
    if not shows_something(description):
        raise DomainError(_("A description is required."), field="description")
    if urgency not in Level.values:
        raise DomainError(_("Urgency must be high, medium or low."), field="urgency")
    files = list(files)
    for upload in files:
        validate_upload(upload)
    now = timezone.now()
    with transaction.atomic():
        (ticket,) = insert_rows(
            [
                Ticket(
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
            ]
        )
        (created,) = insert_rows(
            [
                TicketEvent(
                    ticket=ticket,
                    actor=requester,
                    created_at=now,
                    kind=EventKind.CREATED,
                    to_status=Status.NEW,
                )
            ]
        )
        for upload in files:
            attachment_store(ticket=ticket, actor=requester, upload=upload, comment=None)
        # Routed, then the clocks start on the provisional priority; the requester is told.
        hooks.publish(hooks.TicketCreated(ticket=ticket, event=created, at=now))
    return ticket


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
