"""The console's saved views (HTML): save, rename / share, delete, set as default, live counts.

Every write is a plain POST answered by a redirect back to the console (PRG); a form with
errors is rendered by the POST with a 400. The panel itself is `{% saved_views_panel %}`.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from helpdesk.errors import DomainError
from idempotency.decorators import idempotent_form
from savedviews import services
from savedviews.counts import saved_view_counts
from savedviews.filters import console_query_shown
from savedviews.forms import SavedViewForm
from savedviews.models import SavedView
from savedviews.selectors import saved_view_get_for_user, saved_views_visible_to


def post_else_console(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The forms' addresses take a POST; a GET of one goes to the console. A form with errors
    is shown at its address (/console/views/), so switching the language there or pressing
    Enter in the address bar asked for it with a GET: a bare 405 page before. Signed out
    meanwhile (the session ended with the console open): the sign-in page, then the console,
    rather than a 403."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return redirect("console")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.is_authenticated:
            return redirect_to_login(_back(request))
        return view(request, *args, **kwargs)

    return wrapped


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not (user.is_authenticated and user.is_staff_member):
        raise PermissionDenied
    return user


def _back(request: HttpRequest, default: str = "") -> str:
    """Where the form came from: a console address on this site, else the console."""
    target = request.POST.get("next", "")
    console = reverse("console")
    if target.startswith(console) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default or console


def _gone(request: HttpRequest) -> HttpResponse:
    """A view deleted (or unshared) since the console was loaded, e.g. in another tab: a 404
    as for any view one may not read, but saying so, with the way back to the console (not
    the site's "page not found … the ticket is not yours to see")."""
    return render(request, "savedviews/gone.html", {"next": _back(request)}, status=404)


def _form_error(
    request: HttpRequest, form: SavedViewForm, error: DomainError | None, view: SavedView | None
) -> HttpResponse:
    if error is not None:
        # An error on a hidden field (the filters) is shown above the form.
        visible = {field.name for field in form.visible_fields()}
        form.add_error(error.field if error.field in visible else None, error.message)
    default = ""
    if view is None:
        # "Back to the console" from a refused save: the list the agent was saving, not the
        # bare console (the save form sends the filters, no `next`).
        query = console_query_shown(user=_staff(request), query=request.POST.get("query", ""))
        default = f"{reverse('console')}?{query}"
    context: dict[str, Any] = {"form": form, "view": view, "next": _back(request, default)}
    return render(request, "savedviews/form.html", context, status=400)


@post_else_console
@idempotent_form  # a second click is the first save, not "you already have a view with this name"
def saved_view_create(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    form = SavedViewForm(request.POST, user=user)
    if not form.is_valid():
        return _form_error(request, form, None, None)
    data = form.cleaned_data
    try:
        view = services.saved_view_create(
            owner=user,
            name=data["name"],
            # What the console showed at the address the form was sent from (filters.py).
            query=console_query_shown(user=user, query=data["query"]),
            visibility=data["visibility"],
            group=data["group"],
            make_default=data["make_default"],
        )
    except DomainError as error:
        return _form_error(request, form, error, None)
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(f"{reverse('console')}?{view.query}")


@post_else_console
def saved_view_update(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    try:
        view = saved_view_get_for_user(user=user, view_id=pk)
    except Http404:
        return _gone(request)
    services.saved_view_check_owner(view=view, actor=user)
    form = SavedViewForm(request.POST, user=user, view=view)
    if not form.is_valid():
        return _form_error(request, form, None, view)
    data = form.cleaned_data
    try:
        services.saved_view_update(
            view=view,
            actor=user,
            name=data["name"],
            visibility=data["visibility"],
            group=data["group"],
        )
    except DomainError as error:
        return _form_error(request, form, error, view)
    messages.success(request, _("View “%(name)s” updated.") % {"name": view.name})
    return redirect(_back(request))


@post_else_console
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    try:
        view = saved_view_get_for_user(user=user, view_id=pk)
    except Http404:
        return _gone(request)
    services.saved_view_delete(view=view, actor=user)
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect(_back(request))


@post_else_console
def saved_view_default(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the view my default (`on=1`), or stop using it as my default."""
    user = _staff(request)
    try:
        view = saved_view_get_for_user(user=user, view_id=pk)
    except Http404:
        return _gone(request)
    if request.POST.get("on") == "1":
        services.saved_view_set_default(user=user, view=view)
        messages.success(request, _("“%(name)s” is now your default view.") % {"name": view.name})
    elif view.is_default:  # type: ignore[attr-defined]
        services.saved_view_set_default(user=user, view=None)
        messages.success(request, _("The console opens without a default view again."))
    return redirect(_back(request))


@require_GET
def saved_view_counts_poll(request: HttpRequest) -> HttpResponse:
    """The views' badges, polled by htmx like the tab counts (out-of-band swaps)."""
    user = _staff(request)
    views = list(saved_views_visible_to(user=user))
    return render(
        request,
        "savedviews/_counts.html",
        {"counts": saved_view_counts(user=user, views=views)},
    )
