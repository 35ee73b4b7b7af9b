from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from helpdesk.errors import DomainError
from helpdesk.redirects import same_site_path
from notifications.forms import PreferencesForm
from notifications.selectors import (
    in_app_for_user,
    in_app_link,
    in_app_unread_count,
    muted_by_channel,
)
from notifications.services import (
    in_app_mark_all_read,
    in_app_mark_read,
    notification_preferences_update,
    notification_previews,
)
from tickets.selectors import tickets_visible_to

INBOX_PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    data = request.POST if request.method == "POST" else None
    muted, muted_in_app = muted_by_channel(user=user)
    form = PreferencesForm(data, user=user, muted=muted, muted_in_app=muted_in_app)
    if request.method == "POST" and form.is_valid():
        try:
            notification_preferences_update(
                user=user, muted=form.muted_kinds(), muted_in_app=form.muted_in_app_kinds()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notification_preferences")
    status = 400 if form.is_bound else 200  # refused: nothing saved, the form says why
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


@login_required
def templates(request: HttpRequest) -> HttpResponse:
    """The email templates, rendered with sample data in both languages (managers only)."""
    user: User = request.user  # type: ignore[assignment]
    if not user.is_manager:
        raise PermissionDenied(_("Only managers can read the email templates."))
    previews = notification_previews(languages=["en", "es"])
    by_kind: dict[str, list] = {}
    for preview in previews:
        by_kind.setdefault(preview.kind, []).append(preview)
    return render(request, "notifications/templates.html", {"by_kind": by_kind})


# --- the bell ----------------------------------------------------------------------------------


@require_GET
def bell_count(request: HttpRequest) -> HttpResponse:
    """The header's unread count, polled by htmx (session, user, one COUNT)."""
    if not request.user.is_authenticated:
        # A 401, not the login redirect: htmx swaps no error answer, so a page left open after
        # its session ended keeps its header instead of showing the login page in it.
        return HttpResponse(status=401)
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "notifications/_bell_count.html",
        {
            "unread": in_app_unread_count(user=user),
            "poll_seconds": settings.HELPDESK_BELL_POLL_SECONDS,
        },
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first (?unread=1: the unread ones), with links."""
    user: User = request.user  # type: ignore[assignment]
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(in_app_for_user(user=user, unread_only=unread_only), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(notification, in_app_link(notification)) for notification in page]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "items": items, "unread_only": unread_only},
    )


def _back(request: HttpRequest) -> HttpResponse:
    """Back to where the form was (a same-site path only), else the inbox."""
    target = request.POST.get("next", "")
    return redirect(same_site_path(request, target, default=reverse("notification_inbox")))


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read; `open=1` then goes to what it is about. Another's notification is a 404."""
    user: User = request.user  # type: ignore[assignment]
    notification = in_app_mark_read(user=user, notification_id=pk)
    link = in_app_link(notification)
    if request.POST.get("open") == "1" and link:
        ticket = notification.ticket
        if ticket is not None and not tickets_visible_to(user=user).filter(pk=ticket.pk).exists():
            # Escalated on, taken by another tier, re-routed since: the ticket page would be
            # the site's "can't find that page", read as a broken notification.
            messages.info(
                request,
                _("%(reference)s is no longer in your queues, so it cannot be opened.")
                % {"reference": ticket.reference},
            )
            return _back(request)
        return redirect(link)
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    marked = in_app_mark_all_read(user=user)
    messages.success(
        request,
        ngettext(
            "Marked %(count)s notification read.", "Marked %(count)s notifications read.", marked
        )
        % {"count": marked},
    )
    return _back(request)
