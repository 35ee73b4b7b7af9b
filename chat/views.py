"""The managers' chat channel pages: list, edit, delete, send a test message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from chat import selectors, services
from chat.forms import ChatChannelForm
from chat.models import ChatChannel
from helpdesk.errors import DomainError
from idempotency.decorators import idempotent_form


def _manager(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_manager:
        raise PermissionDenied(_("Only managers can change this."))
    return user


def _gone(request: HttpRequest, message: str) -> HttpResponse:
    """A channel deleted since the page was loaded (a second click, another tab, a colleague):
    the list with what happened, not the site's "page not found … the ticket is not yours"."""
    messages.info(request, message)
    return redirect("chat:channels")


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    return render(request, "chat/channel_list.html", {"channels": selectors.chat_channel_list()})


@login_required
@idempotent_form  # a second click on Save made a second channel: every event posted twice
def channel_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = _manager(request)
    # /chat/0/ is no channel (it was the new-channel form, and its Save made one).
    channel = ChatChannel.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and channel is None:
        return _gone(request, _("This chat channel no longer exists: it was deleted."))
    initial = (
        {
            "name": channel.name,
            "support_group": channel.support_group_id,
            "platform": channel.platform,
            "homeserver": channel.homeserver,
            "room_id": channel.room_id,
            "events": channel.events,
            "language": channel.language,
            "is_enabled": channel.is_enabled,
        }
        if channel
        else {}
    )
    form = ChatChannelForm(
        request.POST or None,
        initial=initial,
        editing=channel is not None,
        secret_hint=channel.secret_hint if channel else "",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.chat_channel_save(actor=actor, channel=channel, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("chat:channels")
    if request.method == "POST":
        form.keep_typed_secret()
    response = render(
        request,
        "chat/channel_form.html",
        {
            "form": form,
            "channel": channel,
            "title": _("Edit chat channel") if channel else _("New chat channel"),
            "deliveries": selectors.chat_recent_deliveries(channel=channel) if channel else [],
        },
        status=400 if request.method == "POST" else 200,
    )
    add_never_cache_headers(response)  # a form's page with a sealed secret stays off disk
    return response


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The list's Delete button asks first (`confirm` absent): one slip of a finger deleted
    the channel and its stored webhook URL or token, which only the chat platform can give
    again."""
    actor = _manager(request)
    channel = ChatChannel.objects.filter(pk=pk).first()
    if channel is None:
        return _gone(request, _("The chat channel was already deleted."))
    if request.POST.get("confirm") != "1":
        return render(request, "chat/channel_confirm_delete.html", {"channel": channel})
    services.chat_channel_delete(actor=actor, channel=channel)
    messages.success(request, _("The chat channel was deleted."))
    return redirect("chat:channels")


@login_required
@require_POST
@idempotent_form  # a second click is the first test message, not another one
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    channel = ChatChannel.objects.filter(pk=pk).first()
    if channel is None:
        return _gone(request, _("This chat channel no longer exists: it was deleted."))
    services.chat_channel_send_test(actor=actor, channel=channel)
    messages.success(
        request, _("A test message is on its way; its outcome shows below in a few seconds.")
    )
    return redirect("chat:channel-edit", pk=channel.pk)
