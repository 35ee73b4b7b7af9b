"""Replies and internal notes."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from helpdesk.errors import DomainError
from helpdesk.inserts import insert_rows
from helpdesk.text import shows_something
from tickets import hooks
from tickets.collisions import TicketVersion, refuse_if_changed
from tickets.models import Comment, Status, Ticket
from tickets.services.attachments import attachment_store, validate_upload
from tickets.services.checks import closed_ticket_refusal, require_agent_at_tier
from tickets.services.lifecycle import ticket_reopen, ticket_resume
from tickets.services.recipe import lock

EMPTY_REPLY_MESSAGE = gettext_lazy("Write a message or attach a file.")


def comment_create(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    is_internal: bool = False,
    files: Iterable[UploadedFile] = (),
    expected_version: TicketVersion | None = None,
) -> Comment:
    """A public reply or an internal note: a text, files, or both (a screenshot alone is a
    reply, as an email with only an attachment is). A requester's reply resumes a ticket on hold and
    reopens a resolved one; an agent's first public reply stops the first-response clock.

    `expected_version`: the ticket as the author last read it; when someone else wrote since,
    nothing is saved and TicketChangedError says what changed (tickets/collisions.py)."""
    body = body.strip()
    if not shows_something(body):  # zero-width spaces or direction marks alone: no text
        body = ""
    files = list(files)
    if not body and not files:
        raise DomainError(str(EMPTY_REPLY_MESSAGE), field="body")
    for upload in files:
        validate_upload(upload)
    now = timezone.now()
    with transaction.atomic():
        locked = lock(ticket)
        is_requester = actor.pk == locked.requester_id
        if is_requester:
            if is_internal:
                raise PermissionDenied(_("Requesters cannot write internal notes."))
        elif actor.is_agent:
            require_agent_at_tier(actor=actor, ticket=locked)
        else:
            raise PermissionDenied(_("You cannot reply to this ticket."))
        if locked.status == Status.CLOSED:
            raise closed_ticket_refusal(ticket=locked, actor=actor)
        if expected_version is not None:
            refuse_if_changed(ticket=locked, user=actor, since=expected_version)
        (comment,) = insert_rows(
            [
                Comment(
                    ticket=locked, author=actor, body=body, is_internal=is_internal, created_at=now
                )
            ]
        )
        for upload in files:
            attachment_store(ticket=locked, actor=actor, upload=upload, comment=comment)
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
