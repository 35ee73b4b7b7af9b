"""Guest tickets and tracking links (tickets/guests.py): claiming the requests sent from the
public form under one's address, and renewing a ticket's secret link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.views import switch_language
from helpdesk.errors import DomainError
from tickets import guests
from tickets.selectors import ticket_get_by_tracking_token
from tickets.views.base import request_user, tracking_guarded
from tickets.views.writes import back_to_ticket, ticket_for_write


@login_required
@require_POST
def guest_claim_request(request: HttpRequest) -> HttpResponse:
    """The banner's button on "My tickets": email the account a link to claim its tickets."""
    if guests.guest_claim_request(user=request_user(request)):
        messages.success(
            request,
            _("We sent a link to %(address)s: open it to add these requests to your account.")
            % {"address": request_user(request).email},
        )
    return redirect("my_tickets")


@login_required
@require_http_methods(["GET", "POST"])
def guest_claim(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows what would be claimed (mail scanners open links), POST does."""
    user = request_user(request)
    try:
        address = guests.guest_claim_address(user=user, token=token)
    except DomainError as error:
        return render(request, "tickets/guest_claim.html", {"error": error.message}, status=400)
    if request.method == "POST":
        try:
            claimed = guests.guest_tickets_claim(user=user, token=token)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d request was added to your account.",
                    "%(count)d requests were added to your account.",
                    len(claimed),
                )
                % {"count": len(claimed)},
            )
        return redirect("my_tickets")
    tickets = list(guests.guest_tickets_for(user=user).filter(contact_email__iexact=address))
    return render(
        request,
        "tickets/guest_claim.html",
        {"tickets": tickets, "address": address, "token": token},
    )


@require_POST
@tracking_guarded
def tracking_link_renew(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    """Revoke the tracking link and email a new one to the requester (their ticket page or the
    link itself). Staff and other readers cannot: it is the requester's link."""
    ticket, actor, _staff = ticket_for_write(request, pk, token)
    if actor.pk != ticket.requester_id:
        raise PermissionDenied(_("Only the requester can renew the tracking link."))
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm that the old link should stop working."))
        return back_to_ticket(ticket, token is not None)
    ticket = guests.ticket_tracking_link_renew(ticket=ticket, actor=actor)
    if token is not None:
        # The old link is dead: the page says where the new one went (nothing of the address).
        return render(request, "tickets/tracking_renewed.html", {"ticket": ticket})
    messages.success(
        request, _("The old tracking link no longer works; a new one was sent to you by email.")
    )
    return redirect("ticket_detail", pk=ticket.pk)


@tracking_guarded
@require_POST
def tracking_language(request: HttpRequest, token: str) -> HttpResponse:
    """The language switcher of the tracking pages: the page's language, as everywhere, and the
    guest's emails in it from now on (tickets.guests.tracking_language_remember)."""
    ticket = ticket_get_by_tracking_token(token=token)
    if not request.user.is_authenticated:  # a signed-in visitor (an agent) chooses for themselves
        language = request.POST.get("language", "")
        guests.tracking_language_remember(ticket=ticket, language=language)
    return switch_language(request)
