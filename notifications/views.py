from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from helpdesk.errors import DomainError
from notifications.forms import PreferencesForm
from notifications.selectors import muted_kinds
from notifications.services import notification_preferences_update, notification_previews


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, user=user, muted=muted_kinds(user=user))
    if request.method == "POST" and form.is_valid():
        try:
            notification_preferences_update(user=user, muted=form.muted_kinds())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notification_preferences")
    return render(request, "notifications/preferences.html", {"form": form})


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
