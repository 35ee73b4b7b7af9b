"""The console's live refresh (htmx polls): the results and counts when the queue changed, 304
otherwise; and the tab counts alone."""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from accounts.models import User
from escalation.membership import agent_tiers
from tickets import live
from tickets.views.base import staff_required
from tickets.views.console_queue import (
    QueueParams,
    queue_counts,
    queue_params,
    results_context,
    tab_tiers,
)

# A rendered rows block is shared for this long at most (its key changes every minute anyway).
SHARED_ROWS_SECONDS = 120
# Stands for the viewer's CSRF token in a shared rows block (each row's Take form).
CSRF_PLACEHOLDER = "__helpdesk-csrf-token__"


def _if_none_match(request: HttpRequest) -> list[str]:
    header = request.headers.get("If-None-Match", "")
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


@require_GET
def console_live(request: HttpRequest) -> HttpResponse:
    """The live queue's poll (static/js/live.js, every live.POLL_SECONDS): 304 while the
    console's tag still matches (no query of its own), else its rows, the tab counts and the
    open P1 tickets of the agent's tiers, with the new tag. Only what the agent may read."""
    user = staff_required(request)
    live.live_tiers(user=user)  # memoised: the tabs and the rows read no support group
    params = queue_params(request, user)
    versions = live.queue_versions(user=user, tiers=tab_tiers(user))
    etag = live.queue_etag(
        user=user, versions=versions, query=params.query(), now=live.now_seconds()
    )
    if etag and etag in _if_none_match(request):
        response: HttpResponse = HttpResponseNotModified()
    else:
        context = {
            "params": params,
            "results_html": shared_results_html(
                request, user=user, params=params, versions=versions
            ),
            "counts": queue_counts(user, queue=params.queue, versions=versions),
            "p1_tickets": live.open_p1_tickets(user=user),
        }
        response = render(request, "tickets/_queue_live.html", context)
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def console_counts(request: HttpRequest) -> HttpResponse:
    """The tab badges, polled by htmx (?queue= the page's queue, for its status tabs)."""
    user = staff_required(request)
    queue = queue_params(request, user).queue
    versions = live.queue_versions(user=user, tiers=tab_tiers(user))
    return render(
        request,
        "tickets/_queue_counts.html",
        {"counts": queue_counts(user, queue=queue, versions=versions)},
    )


def shared_results_html(
    request: HttpRequest, *, user: User, params: QueueParams, versions: dict[str, str] | None
) -> SafeString:
    """The rows block of a live poll, rendered once and shared by every agent who sees the same
    rows: after a change every agent of the tier polls again within seconds, and each render
    cost ~25 ms of CPU (docs/architecture.md, "Live queue").

    Shared only where the rows are the same for every viewer with that key: the tier's version,
    the filters and page, the language, the time zone, the minute (relative times), the role and
    the tiers the viewer takes tickets at (the Take buttons); "mine" and "assigned to me" also
    by the viewer. Each viewer's CSRF token replaces the placeholder in the Take forms."""
    key = _shared_rows_key(user=user, params=params, versions=versions, request=request)
    html = cache.get(key) if key else None
    if html is None:
        # No context processors (request=None): the token is the placeholder, not this viewer's.
        context = {
            **results_context(user, params),
            "request": request,  # its path, in the key too
            "csrf_token": CSRF_PLACEHOLDER,
        }
        html = render_to_string("tickets/_queue_results.html", context)
        if key:
            cache.set(key, html, SHARED_ROWS_SECONDS)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 (rendered above)


def _shared_rows_key(
    *, user: User, params: QueueParams, versions: dict[str, str] | None, request: HttpRequest
) -> str:
    if versions is None or params.queue not in versions:
        return ""
    personal = params.queue == "mine" or params.assignee == "me"
    parts = [
        live.RENDER_VERSION,
        versions[params.queue],
        params.query(),
        request.get_full_path(),
        get_language() or "",
        timezone.get_current_timezone_name(),
        str(int(live.now_seconds() // 60)),
        str(user.role),
        ",".join(str(tier) for tier in sorted(agent_tiers(user=user))),
        str(user.pk) if personal else "",
    ]
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()
    return f"live-queue:rows:{digest}"
