"""Email to ticket: each inbound message becomes a ticket, a reply on one, or nothing, once."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from helpdesk.errors import DomainError
from helpdesk.text import shows_something
from mailin.models import InboundMessage, Outcome
from mailin.parsing import ParsedMessage, clean_subject, key_of_raw, parse_message
from notifications.models import Notification, NotificationKind
from notifications.services import notification_add_context
from notifications.threads import ticket_id_from_subject, ticket_id_from_thread_ids
from tickets import guests
from tickets.models import Status, Ticket
from tickets.models_choices import Source
from tickets.services import (
    attachment_validate,
    comment_create,
    requester_for_email,
    ticket_create,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundResult:
    outcome: str  # an Outcome, or "duplicate" when the message had been processed already
    message: InboundMessage | None = None


DUPLICATE = "duplicate"


def _own_addresses() -> set[str]:
    from email.utils import parseaddr

    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    reply_to: str = getattr(settings, "HELPDESK_REPLY_TO", "")
    if reply_to:
        addresses.add(parseaddr(reply_to)[1].lower())
    addresses.add(str(getattr(settings, "HELPDESK_IMAP_USER", "")).lower())
    return {address for address in addresses if "@" in address}


def _reply_target(parsed: ParsedMessage) -> Ticket | None:
    """The ticket this message answers: by our signed thread id, the subject tag, or a
    Message-ID we processed before."""
    ticket_id = ticket_id_from_thread_ids(parsed.references) or ticket_id_from_subject(
        parsed.subject
    )
    if ticket_id is None and parsed.references:
        ticket_id = (
            InboundMessage.objects.filter(
                message_id__in=parsed.references[:50], ticket__isnull=False
            )
            .values_list("ticket_id", flat=True)
            .first()
        )
    if ticket_id is None:
        return None
    return Ticket.objects.select_related("requester").filter(pk=ticket_id).first()


def _sender(parsed: ParsedMessage) -> User:
    # Addresses are stored normalised and unique: one account per address, staff included.
    staff = (
        User.objects.filter(email=User.objects.normalize_email(parsed.sender_email), is_active=True)
        .exclude(role=Role.REQUESTER)
        .first()
    )
    if staff is not None:
        return staff
    return requester_for_email(email=parsed.sender_email, name=parsed.sender_name)


def _uploads(parsed: ParsedMessage) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments within the limits, and a note for each one refused."""
    accepted, refused = [], []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(
            attachment.filename[:200], attachment.content, attachment.content_type
        )
        try:
            attachment_validate(upload=upload)
        except DomainError as exc:
            refused.append(exc.message)
            continue
        accepted.append(upload)
    return accepted, refused


def _body_with_notes(parsed: ParsedMessage, refused: list[str]) -> str:
    body = parsed.body.strip()
    if not shows_something(body):
        body = _("(The email had no text.)")
    if refused:
        notes = "\n".join(f"- {note}" for note in refused)
        body = f"{body}\n\n{_('Attachments not accepted:')}\n{notes}"
    return body


def _record(
    *,
    parsed: ParsedMessage,
    outcome: str,
    reason: str = "",
    ticket: Ticket | None = None,
    comment_id: int | None = None,
) -> InboundMessage:
    return InboundMessage.objects.create(
        message_id=parsed.message_id,
        sender=parsed.sender_email[:254],
        subject=parsed.subject[:300],
        outcome=outcome,
        reason=reason,
        ticket=ticket,
        comment_id=comment_id,
    )


def inbound_process(*, raw: bytes) -> InboundResult:
    """Turn one raw email into a ticket or a public reply, exactly once per Message-ID.

    Raises MalformedMessage for a message that cannot be read (the caller moves it aside and
    calls inbound_record_failure). Automatic messages (auto-replies, bounces, lists) and our
    own mail coming back are recorded and ignored: they never create tickets or replies.
    """
    parsed = parse_message(raw)
    if InboundMessage.objects.filter(message_id=parsed.message_id).exists():
        return InboundResult(DUPLICATE)
    try:
        with transaction.atomic():
            return _process(parsed)
    except IntegrityError:
        # Another poller recorded the same Message-ID first; everything it did stands.
        if InboundMessage.objects.filter(message_id=parsed.message_id).exists():
            return InboundResult(DUPLICATE)
        raise


def _process(parsed: ParsedMessage) -> InboundResult:
    if parsed.automatic_reason:
        row = _record(parsed=parsed, outcome=Outcome.IGNORED, reason=parsed.automatic_reason)
        return InboundResult(Outcome.IGNORED, row)
    if parsed.sender_email in _own_addresses():
        row = _record(parsed=parsed, outcome=Outcome.IGNORED, reason="sent by the helpdesk itself")
        return InboundResult(Outcome.IGNORED, row)
    sender = _sender(parsed)
    uploads, refused = _uploads(parsed)
    body = _body_with_notes(parsed, refused)
    target = _reply_target(parsed)
    if target is not None and target.status != Status.CLOSED:
        if guests.is_guest(target.requester) and guests.address_key(
            target.contact_email
        ) == guests.address_key(parsed.sender_email):
            sender = target.requester  # a guest ticket's requester writes from its address
        may_reply = target.requester_id == sender.pk or sender.is_agent
        if may_reply:
            try:
                comment = comment_create(ticket=target, actor=sender, body=body, files=uploads)
            except PermissionDenied as exc:
                row = _record(parsed=parsed, outcome=Outcome.FAILED, reason=str(exc), ticket=target)
                return InboundResult(Outcome.FAILED, row)
            row = _record(
                parsed=parsed,
                outcome=Outcome.COMMENT_ADDED,
                ticket=target,
                comment_id=comment.pk,
            )
            return InboundResult(Outcome.COMMENT_ADDED, row)
    # A new request: also a reply to a closed ticket, or from someone who is not its requester
    # (a forwarded thread must not post on another person's ticket).
    title = clean_subject(parsed.subject)[:200]
    if not shows_something(title):
        title = _("Email from %(sender)s") % {"sender": parsed.sender_email}
    ticket = ticket_create(
        requester=sender,
        title=title,
        description=body,
        source=Source.EMAIL,
        files=uploads,
    )
    acknowledgement = Notification.objects.filter(
        ticket=ticket, kind=NotificationKind.TICKET_CREATED
    ).first()
    if acknowledgement is not None and not parsed.message_id.startswith("sha256:"):
        # The acknowledgement answers the requester's email, so their client threads it.
        notification_add_context(notification=acknowledgement, in_reply_to=parsed.message_id)
    row = _record(parsed=parsed, outcome=Outcome.TICKET_CREATED, ticket=ticket)
    return InboundResult(Outcome.TICKET_CREATED, row)


def inbound_record_failure(*, raw: bytes, reason: str) -> InboundMessage | None:
    """Remember a message that was moved aside, so it is never processed again."""
    key = key_of_raw(raw)
    try:
        with transaction.atomic():
            row, _created = InboundMessage.objects.get_or_create(
                message_id=key,
                defaults={"outcome": Outcome.FAILED, "reason": reason[:5000]},
            )
    except IntegrityError:
        return InboundMessage.objects.filter(message_id=key).first()
    return row
