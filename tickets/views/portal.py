"""The requester's side: the portal home, the web form that opens a ticket (signed in or
anonymous), its "thank you" page and "My tickets"."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from helpdesk import ratelimit
from helpdesk.errors import DomainError
from helpdesk.signed_out import keep_for_sign_in, typed_before_signing_out
from idempotency.decorators import idempotent_form
from incidents.selectors import current_major_incidents
from kb.selectors import articles_search
from tickets import guests, services
from tickets.forms import TicketCreateForm
from tickets.models import Status
from tickets.models_choices import OPEN_STATES, TEXT_MAX_LENGTH
from tickets.selectors import (
    TicketFilters,
    ticket_get_by_tracking_token,
    ticket_get_for_user,
    ticket_list,
)
from tickets.views.base import (
    PAGE_SIZE,
    REQUESTER_STATUS,
    int_param,
    request_user,
    tracking_guarded,
)
from tickets.views.writes import form_error

GUEST_LIST_SIZE = 20  # unclaimed guest tickets listed in the banner of "My tickets"


PORTAL_LIST_SIZE = 5

# What a request sent after its author was signed out (in another tab, or a timeout) keeps for
# the sign-in (helpdesk.signed_out).
KEPT_FIELDS = ("title", "description", "category", "affected", "urgency")


def home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in: the console for support staff, the breach register
    for security officers, the portal home for customers."""
    user = request_user(request)
    if not user.is_authenticated:
        return redirect("login")
    if user.is_staff_member:
        return redirect("console")
    if user.is_security_officer:
        return redirect("breach-list")
    # The customer's portal: search the knowledge base, a new request, their open tickets,
    # the service status and the latest articles in their language.
    tickets = list(
        ticket_list(user=user, filters=TicketFilters(requester=user.pk))
        .select_related(None)
        .prefetch_related(None)  # no SLA clocks: the portal shows the plain status
        .filter(status__in=OPEN_STATES)
        .order_by("-id")[:PORTAL_LIST_SIZE]
    )
    for ticket in tickets:
        ticket.plain_status = REQUESTER_STATUS[ticket.status]  # type: ignore[attr-defined]
    language = translation.get_language() or settings.LANGUAGE_CODE
    return render(
        request,
        "tickets/portal.html",
        {
            "tickets": tickets,
            "incidents": current_major_incidents(),
            "articles": list(
                articles_search(user=user, text="", language=language[:2])[:PORTAL_LIST_SIZE]
            ),
        },
    )


@idempotent_form
def ticket_new(request: HttpRequest) -> HttpResponse:
    """The web form; anonymous visitors give an email and follow the ticket by a secret link.

    Post/Redirect/Get: a filed ticket redirects to its "thank you" page (`ticket_created`),
    which a reload shows again without filing anything."""
    user = request_user(request)
    anonymous = not user.is_authenticated
    if anonymous and request.method == "POST" and not {"name", "email"} & request.POST.keys():
        # The form was shown to someone signed in (it asks no name and email): they were
        # signed out meanwhile. It answered "Your name: This field is required.", and its
        # "Sign in" link lost the text.
        return _signed_out_request(request)
    initial = None
    if not anonymous:
        said = _("Your request was not sent yet: it is in the form below.")
        initial = typed_before_signing_out(request, said=said) or None
    rate = ratelimit.public_form_rate()
    form = TicketCreateForm(
        request.POST or None, request.FILES or None, anonymous=anonymous, initial=initial
    )
    if anonymous and request.method == "POST" and ratelimit.exceeded("form", request, rate=rate):
        # Still a 429, but the form again with what was typed (a bare "too many requests"
        # page lost it: an office behind one address reaches the limit together).
        form.add_error(
            None,
            _(
                "Too many requests were sent from your network recently: yours was not sent. "
                "Your text is kept below; please send it again later."
            ),
        )
        response = render(request, "tickets/new.html", {"form": form}, status=429)
        response["Retry-After"] = str(ratelimit.window_seconds(rate))
        return response
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if anonymous:
                # A known address (an account's, staff's) files a guest ticket: nothing of the
                # account is used or shown (tickets/guests.py).
                requester = guests.requester_for_public_form(
                    email=data["email"],
                    name=data["name"],
                    language=request.LANGUAGE_CODE,  # type: ignore[attr-defined]
                )
            else:
                requester = user
            ticket = services.ticket_create(
                requester=requester,
                title=data["title"],
                description=data["description"],
                urgency=data["urgency"],
                category=data["category"],
                affected=data["affected"],
                contact_name=data.get("name", ""),
                # Stored normalised, as account addresses are: guest tickets are found by it.
                contact_email=guests.address_key(data.get("email", "")),
                files=data["attachments"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            if anonymous:
                ratelimit.hit("form", request, rate=rate)
                return redirect("tracking_created", token=ticket.tracking_token)
            return redirect("ticket_created", pk=ticket.pk)
    status = 400 if form.is_bound else 200
    return render(request, "tickets/new.html", {"form": form}, status=status)


def _signed_out_request(request: HttpRequest) -> HttpResponse:
    """The login page, then the form again with what was typed (files must be chosen again)."""
    said = _(
        "You were signed out, so your request was not sent. Sign in again: what you wrote "
        "will be back in the form."
    )
    keep_for_sign_in(request, KEPT_FIELDS, max_length=TEXT_MAX_LENGTH, said=said)
    return redirect_to_login(reverse("ticket_new"))


@require_GET
@tracking_guarded
def ticket_created(
    request: HttpRequest, pk: int | None = None, token: str | None = None
) -> HttpResponse:
    """The "thank you" page after the web form: a GET, so reloading it files nothing."""
    if token is not None:
        ticket = ticket_get_by_tracking_token(token=token)
    elif request.user.is_authenticated:
        ticket = ticket_get_for_user(user=request_user(request), ticket_id=pk or 0)
    else:
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")
    return render(
        request,
        "tickets/created.html",
        {
            "ticket": ticket,
            "anonymous": token is not None,
            "tracking_url": request.build_absolute_uri(
                reverse("tracking", args=[ticket.tracking_token])
            ),
        },
    )


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    show = request.GET.get("show", "open")
    if show not in ("open", "closed", "all"):
        show = "open"  # an unknown tab (an edited address): the default one, marked as such
    tickets = ticket_list(user=user, filters=TicketFilters(requester=user.pk)).select_related(None)
    if show == "open":
        tickets = tickets.filter(status__in=OPEN_STATES)
    elif show == "closed":
        tickets = tickets.filter(status=Status.CLOSED)
    before = int_param(request.GET.get("before"))
    if before:
        tickets = tickets.filter(pk__lt=before)
    rows = list(tickets.order_by("-id")[: PAGE_SIZE + 1])
    next_before = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    for ticket in rows:
        ticket.plain_status = REQUESTER_STATUS[ticket.status]  # type: ignore[attr-defined]
    # Requests sent from the public form under this account's address, waiting to be claimed.
    unclaimed = list(
        guests.guest_tickets_for(user=user).only("id", "kind", "title")[:GUEST_LIST_SIZE]
    )
    return render(
        request,
        "tickets/my_tickets.html",
        {
            "tickets": rows,
            "show": show,
            "next_before": next_before,
            "older_page": bool(before),  # a way back to the newest tickets
            "unclaimed": unclaimed,
        },
    )
