"""The console's live refresh (htmx polls): the results and counts when the queue changed, 304
otherwise; and the tab counts alone."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets import live
from tickets.views.base import staff_required
from tickets.views.console_queue import queue_counts, queue_params, shared_results, tab_tiers


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
            "results_html": shared_results(
                request, user=user, params=params, versions=versions
            ).html,
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
