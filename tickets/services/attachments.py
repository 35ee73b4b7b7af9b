"""Files on a ticket: the limits every upload meets (web, API, email) and where they go."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from helpdesk.errors import DomainError
from helpdesk.uploads import safe_filename, sniff_content_type
from tickets.models import Attachment, Comment, Status, Ticket
from tickets.services.checks import closed_ticket_refusal, require_agent_at_tier
from tickets.services.recipe import lock


def validate_upload(upload: UploadedFile) -> None:
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
    validate_upload(upload)


def attachment_store(
    *, ticket: Ticket, actor: User, upload: UploadedFile, comment: Comment | None
) -> Attachment:
    return Attachment.objects.create(
        ticket=ticket,
        comment=comment,
        file=upload,
        filename=safe_filename(upload.name or "file"),
        # Never the client's claim: what the bytes say (checked again in validate_upload).
        content_type=sniff_content_type(upload),
        size=upload.size or 0,
        is_internal=bool(comment and comment.is_internal),
        uploaded_by=actor,
    )


def attachment_add(
    *, ticket: Ticket, actor: User, upload: UploadedFile, is_internal: bool = False
) -> Attachment:
    validate_upload(upload)
    with transaction.atomic():
        locked = lock(ticket)
        if actor.pk == locked.requester_id:
            if is_internal:
                raise PermissionDenied(_("Requesters cannot add internal files."))
        else:
            require_agent_at_tier(actor=actor, ticket=locked)
        if locked.status == Status.CLOSED:
            # Closed is final, as for a reply: files nobody will look at again are refused.
            raise closed_ticket_refusal(ticket=locked, actor=actor)
        attachment = attachment_store(ticket=locked, actor=actor, upload=upload, comment=None)
        if is_internal:
            attachment.is_internal = True
            attachment.save(update_fields=["is_internal"])
    return attachment
