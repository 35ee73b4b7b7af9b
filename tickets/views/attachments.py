"""Files on a ticket: adding them, and downloading one (internal files for support staff only)."""

from typing import Any

from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk.uploads import STORED_TYPES
from idempotency.decorators import idempotent_form
from tickets import services
from tickets.forms import AttachmentForm
from tickets.models import Attachment, Ticket
from tickets.views.base import post_else_ticket_page, tracking_guarded
from tickets.views.timeline import merged_visibility
from tickets.views.writes import form_write, ticket_for_write


@post_else_ticket_page
@tracking_guarded
@idempotent_form
def ticket_attach(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    ticket, actor, staff = ticket_for_write(request, pk, token)
    form = AttachmentForm(request.POST, request.FILES, prefix="attach")

    def write(data: dict[str, Any]) -> str:
        for upload in data["attachments"]:
            services.attachment_add(
                ticket=ticket, actor=actor, upload=upload, is_internal=data["is_internal"] and staff
            )
        return _("Files added.")

    return form_write(
        request, ticket, form, key="attach", tracking=token is not None, staff=staff, write=write
    )


@require_GET
@tracking_guarded
def attachment_download(
    request: HttpRequest, attachment_id: int, pk: int | None = None, token: str | None = None
) -> FileResponse:
    """A file of a ticket the viewer may read; internal files only for support staff."""
    ticket, _viewer, staff = ticket_for_write(request, pk, token)
    # Its own files, and those of the duplicates merged into it that the reader sees.
    merged = Ticket.objects.filter(merged_visibility(ticket=ticket, staff=staff))
    files = Attachment.objects.filter(Q(ticket=ticket) | Q(ticket__in=merged), pk=attachment_id)
    if not staff:
        files = files.filter(is_internal=False)
    attachment = files.first()
    if attachment is None:
        raise Http404(_("No such file."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("No such file.")) from None
    # Always a download, never rendered inline; a type we did not sniff ourselves (older rows
    # stored the client's claim) is served as bytes.
    known = attachment.content_type in STORED_TYPES
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type if known else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
