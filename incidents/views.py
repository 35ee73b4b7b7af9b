from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from helpdesk.errors import DomainError
from idempotency.decorators import idempotent_form
from incidents import services
from incidents.forms import DeclareForm, LinkForm, UpdateForm
from incidents.models import StatusUpdate
from incidents.selectors import (
    major_incident_get_for_user,
    major_incident_links,
    major_incident_of_ticket,
    major_incident_updates,
    major_incidents_for_staff,
    status_feed_updates,
    status_page,
)
from tickets.selectors import parse_reference, ticket_get_for_user


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- agent pages -------------------------------------------------------------------------------


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    incidents = major_incidents_for_staff(user=_user(request))[:100]
    return render(request, "incidents/list.html", {"incidents": incidents})


@login_required
@idempotent_form
def incident_declare(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = ticket_get_for_user(user=user, ticket_id=ticket_id)
    if not user.is_agent:
        raise PermissionDenied(_("Only support agents can manage major incidents."))
    if request.method != "POST":
        # A stale link (a colleague declared it, or linked it to another, meanwhile): the
        # incident itself, before anyone types a public title and a first update for nothing.
        existing = major_incident_of_ticket(ticket_id=ticket.pk)
        if existing is not None:
            messages.info(request, _("This ticket is already part of a major incident."))
            return redirect("major_incident_detail", existing.pk)
    form = DeclareForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                incident = services.major_incident_declare(
                    ticket=ticket, actor=user, **form.cleaned_data
                )
            except DomainError as exc:
                status = exc.status_code  # 409: declared or linked meanwhile
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Major incident declared."))
                return redirect("major_incident_detail", incident.pk)
    context = {
        "form": form,
        "ticket": ticket,
        # Refused because it is one already: the way to it, the typed text kept for an update.
        "existing": major_incident_of_ticket(ticket_id=ticket.pk) if status == 409 else None,
    }
    return render(request, "incidents/declare.html", context, status=status)


def _refused_when_resolved(*, incident: Any, form: UpdateForm | LinkForm) -> int:
    """The incident's state first: a resolved one refuses any update or link, typed well or
    not (its 409, the form refused as a whole). 400 otherwise: the form's own checks follow."""
    try:
        services.major_incident_require_open(incident=incident)
    except DomainError as exc:
        form.refuse(exc.message)
        return exc.status_code
    return 400


def _detail_context(*, incident: Any, update_form: UpdateForm, link_form: LinkForm) -> dict:
    return {
        "incident": incident,
        "updates": major_incident_updates(incident=incident),
        "links": major_incident_links(incident=incident),
        "update_form": update_form,
        "link_form": link_form,
        # A resolved incident has no forms, except to give back a refused one: a colleague
        # resolved it while this agent wrote, and the error and the typed text must show.
        "show_forms": not incident.is_resolved or update_form.is_bound or link_form.is_bound,
    }


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = major_incident_get_for_user(user=_user(request), incident_id=pk)
    context = _detail_context(incident=incident, update_form=UpdateForm(), link_form=LinkForm())
    return render(request, "incidents/detail.html", context)


@login_required
@require_POST
@idempotent_form
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    incident = major_incident_get_for_user(user=user, incident_id=pk)
    form = UpdateForm(request.POST)
    status = _refused_when_resolved(incident=incident, form=form)
    if status == 400 and form.is_valid():
        try:
            services.status_update_post(incident=incident, actor=user, **form.cleaned_data)
        except DomainError as exc:
            status = exc.status_code  # 409: a colleague resolved it first
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Update posted and sent to the people affected."))
            return redirect("major_incident_detail", incident.pk)
    context = _detail_context(incident=incident, update_form=form, link_form=LinkForm())
    return render(request, "incidents/detail.html", context, status=status)


@login_required
@require_POST
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    incident = major_incident_get_for_user(user=user, incident_id=pk)
    form = LinkForm(request.POST)
    status = _refused_when_resolved(incident=incident, form=form)
    if status == 400 and form.is_valid():
        reference = parse_reference(form.cleaned_data["ticket"])
        try:
            if reference is None:
                raise DomainError(_("Enter a ticket reference such as INC-000123."), field="ticket")
            ticket = ticket_get_for_user(user=user, ticket_id=reference)
            services.major_incident_link(incident=incident, ticket=ticket, actor=user)
        except Http404:
            form.add_error("ticket", _("No such ticket."))
        except DomainError as exc:
            status = exc.status_code
            form.add_error("ticket", exc.message)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Ticket linked."))
            return redirect("major_incident_detail", incident.pk)
    context = _detail_context(incident=incident, update_form=UpdateForm(), link_form=form)
    return render(request, "incidents/detail.html", context, status=status)


# --- the public status page and its feeds -------------------------------------------------------


def status(request: HttpRequest) -> HttpResponse:
    """Public: only the public title, summary, services and updates of major incidents."""
    return render(request, "incidents/status.html", {"page": status_page()})


class StatusFeed(Feed):
    title = gettext_lazy("Service status")
    description = gettext_lazy("Updates on major incidents affecting our services.")

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang", "")
        if language in ("en", "es"):
            with translation.override(language):
                return super().__call__(request, *args, **kwargs)
        return super().__call__(request, *args, **kwargs)

    def link(self) -> str:
        return reverse("status_page")

    def items(self) -> list[StatusUpdate]:
        return status_feed_updates()

    def item_title(self, item: StatusUpdate) -> str:
        # Many feed readers render titles as HTML too: escaped, as the description is.
        return escape(f"{item.major_incident.title}: {item.get_status_display()}")

    def item_description(self, item: StatusUpdate) -> str:
        # Feed readers render a description as HTML: the agent's text must arrive as text.
        return escape(item.text)

    def item_link(self, item: StatusUpdate) -> str:
        return f"{reverse('status_page')}#update-{item.pk}"

    def item_guid(self, item: StatusUpdate) -> str:
        return f"status-update-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: StatusUpdate) -> Any:
        return item.created_at


class StatusAtomFeed(StatusFeed):
    feed_type = Atom1Feed
    subtitle = StatusFeed.description
