"""The agent console: the queues (tabs), their filters and sort, a page of rows and the tab
counts. The queue's filters and queryset are public: saved views (savedviews/) use them."""

import dataclasses
import hashlib
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from accounts.models import Role, User
from escalation.models import Tier
from escalation.selectors import agent_tiers
from savedviews.selectors import saved_view_default_for
from sla.selectors import ticket_sla_status
from tickets import live
from tickets.bulk import BULK_ACTIONS
from tickets.forms import category_tree_choices
from tickets.models import Category, ClosureCode, Kind, Priority, Status, Ticket
from tickets.models_choices import ACTIVE_STATES, RESOLUTION_CODES
from tickets.selectors import (
    TicketFilters,
    category_tree,
    parse_reference,
    ticket_by_reference_for_user,
    ticket_list,
)
from tickets.views.base import PAGE_SIZE, int_param, staff_required
from tickets.views.bulk_actions import bulk_draft_pop

COUNT_CAP = 999  # the tab badges show "999+" beyond this: counting stays bounded
COUNTS_CACHE_SECONDS = 15
# A rendered rows block is shared for this long at most (its key changes every minute anyway).
SHARED_ROWS_SECONDS = 120
# Stands for the viewer's CSRF token in a shared rows block (each row's Take form).
CSRF_PLACEHOLDER = "__helpdesk-csrf-token__"


def queues_for(user: User) -> list[tuple[str, Any]]:
    """The tabs this user has: the tiers they can read, and their own tickets."""
    tiers = (
        [1, 2, 3]
        if user.role == Role.MANAGER or 1 in agent_tiers(user=user)
        else sorted(agent_tiers(user=user))
    )
    tabs: list[tuple[str, Any]] = [(f"l{t}", Tier(t).label) for t in tiers]
    if user.is_agent:
        tabs.insert(0, ("mine", _("Assigned to me")))
    return tabs


SORTS: dict[str, Any] = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "priority": gettext_lazy("Priority, then newest"),
}


@dataclasses.dataclass
class QueueParams:
    queue: str
    status: str
    kind: str
    priority: int | None
    category: int | None
    assignee: str
    sla: str
    sort: str
    q: str
    cursor: str

    def query(self, **overrides: Any) -> str:
        values = {**dataclasses.asdict(self), **overrides}
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def queue_params(request: HttpRequest, user: User) -> QueueParams:
    return queue_params_from(request.GET, user=user)


def queue_params_from(get: QueryDict, *, user: User) -> QueueParams:
    """The console's filters from a query string; anything unknown or invalid is dropped."""
    tabs = dict(queues_for(user))
    queue = get.get("queue", "")
    if queue not in tabs:
        # An agent starts on their (first) tier's queue; "mine" is one key away.
        queue = next((key for key in tabs if key != "mine"), "mine")
    status = get.get("status", "open")
    if status not in ("open", "all", *Status.values):
        status = "open"
    sort = get.get("sort", "newest")
    return QueueParams(
        queue=queue,
        status=status,
        kind=get.get("kind", "") if get.get("kind") in Kind.values else "",
        priority=int_param(get.get("priority"))
        if int_param(get.get("priority")) in range(1, 6)
        else None,
        category=int_param(get.get("category")),
        assignee=get.get("assignee", "")
        if get.get("assignee") in ("me", "none") or int_param(get.get("assignee"))
        else "",
        sla=get.get("sla", "") if get.get("sla") in ("at_risk", "breached") else "",
        sort=sort if sort in SORTS else "newest",
        q=get.get("q", "").strip()[:200],
        cursor=get.get("cursor", "").strip()[:40],
    )


def queue_queryset(user: User, params: QueueParams) -> QuerySet[Ticket]:
    assignee: int | None = None
    unassigned = False
    if params.queue == "mine" or params.assignee == "me":
        assignee = user.pk
    elif params.assignee == "none":
        unassigned = True
    elif params.assignee:
        assignee = int_param(params.assignee)
    statuses: list[str] | None
    if params.status == "open":
        # Open: someone has work to do (the dashboard's backlog). Resolved tickets wait on the
        # requester's confirmation: their own tab, "Solved (awaiting confirmation)".
        statuses = list(ACTIVE_STATES)
    elif params.status == "all":
        statuses = None
    else:
        statuses = [params.status]
    tier = int(params.queue[1]) if params.queue in ("l1", "l2", "l3") else None
    extra: dict[str, Any] = {}
    if params.sla:
        extra["sla"] = params.sla
    filters = TicketFilters(
        status=statuses,
        kind=params.kind or None,
        tier=tier,
        priority=params.priority,
        category=params.category,
        assignee=assignee,
        unassigned=unassigned,
        search=params.q,
        **extra,
    )
    return ticket_list(user=user, filters=filters)


# The columns a queue row shows: a narrow SELECT, fewer objects to build.
_PERSON = ["display_name", "first_name", "last_name", "username"]


QUEUE_COLUMNS = [
    "id",
    "kind",
    "title",
    "priority",
    "tier",
    "status",
    "created_at",
    "requester_id",
    "assignee_id",
    "category_id",
    *(f"requester__{f}" for f in _PERSON),
    *(f"assignee__{f}" for f in _PERSON),
    "category__name",
    "category__name_es",
    "category__parent_id",
    "category__parent__name",
    "category__parent__name_es",
]


TAKEABLE_STATES = (Status.PRIORITIZED, Status.ESCALATED)


def _queue_rows(
    tickets: list[Ticket], *, takes_at: frozenset[int] = frozenset()
) -> list[dict[str, Any]]:
    """Each row's words resolved once here: rendering a page of plain values is cheap.

    `takes_at`: the tiers the viewer takes tickets at (a "Take" button on those rows)."""
    statuses = {value: str(label) for value, label in Status.choices}
    priorities = {value: str(label) for value, label in Priority.choices}
    tiers = {value: str(label) for value, label in Tier.choices}
    prefix = reverse("ticket_detail", args=[0]).removesuffix("0/")
    now = timezone.now()
    return [
        {
            "pk": t.pk,
            "url": f"{prefix}{t.pk}/",
            "title": t.title,
            "reference": t.reference,
            "tier": tiers[t.tier],
            "priority": t.priority,
            "priority_label": priorities[t.priority],
            "status": t.status,
            "status_label": statuses[t.status],
            "requester": t.requester.name,
            "assignee": t.assignee.name if t.assignee_id else "",  # type: ignore[union-attr]
            "category": t.category.path if t.category_id else "",  # type: ignore[union-attr]
            "created_at": t.created_at,
            "can_take": t.tier in takes_at and t.status in TAKEABLE_STATES,
            # Running and paused clocks only, from the page's prefetched clocks (no query).
            "sla": [
                c
                for c in ticket_sla_status(ticket=t, now=now)
                if c["state"] in ("running", "paused")
            ],
        }
        for t in tickets
    ]


def _paginate(queryset: QuerySet[Ticket], params: QueueParams) -> tuple[list[Ticket], str]:
    """Keyset pagination: a deep page costs what the first one does (no OFFSET, no COUNT)."""
    cursor = params.cursor
    if params.sort == "oldest":
        queryset = queryset.order_by("id")
        if int_param(cursor):
            queryset = queryset.filter(pk__gt=int_param(cursor))
    elif params.sort == "priority":
        raw_priority, _sep, raw_last_id = cursor.partition(".")
        priority, last_id = int_param(raw_priority), int_param(raw_last_id)
        if priority and last_id:
            return _page_after(queryset, priority=priority, last_id=last_id)
        queryset = queryset.order_by("priority", "-id")
    else:
        queryset = queryset.order_by("-id")
        if int_param(cursor):
            queryset = queryset.filter(pk__lt=int_param(cursor))  # older than ticket X
    return _page(list(queryset.only(*QUEUE_COLUMNS)[: PAGE_SIZE + 1]), sort=params.sort)


def _page(rows: list[Ticket], *, sort: str) -> tuple[list[Ticket], str]:
    next_cursor = ""
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_cursor = f"{last.priority}.{last.pk}" if sort == "priority" else str(last.pk)
    return rows[:PAGE_SIZE], next_cursor


def _page_after(
    queryset: QuerySet[Ticket], *, priority: int, last_id: int
) -> tuple[list[Ticket], str]:
    """The "priority, then newest" page after ticket `last_id` of `priority`, as two ranges of
    the (tier, priority, id DESC) index: the rest of that priority, then the next priorities.
    Written as one `priority > p OR (priority = p AND id < x)`, the index could only filter,
    and a deep cursor read every open ticket ahead of it (bench/RESULTS.md, stop 27)."""
    rows = queryset.only(*QUEUE_COLUMNS)
    page = list(rows.filter(priority=priority, pk__lt=last_id).order_by("-id")[: PAGE_SIZE + 1])
    if len(page) <= PAGE_SIZE:
        later = rows.filter(priority__gt=priority).order_by("priority", "-id")
        page += list(later[: PAGE_SIZE + 1 - len(page)])
    return _page(page, sort="priority")


# The console's address is the same for the page and for its htmx results block (the filters
# push it to the address bar): the browser's cache must keep them apart, or Back to a filtered
# console showed the cached bare rows block, unstyled, instead of the page.
CONSOLE_VARY = ("HX-Request", "HX-Target")


def console(request: HttpRequest) -> HttpResponse:
    """The queue: tabs per tier and "mine", filters, sorting, search, keyset pages.

    An htmx request (a filter changed, the next page) gets only the results block.
    """
    response = _console(request)
    patch_vary_headers(response, CONSOLE_VARY)
    return response


def _console(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.get_full_path()}")
    user = staff_required(request)
    # The bare console opens the agent's default saved view (a tab or a filter adds params);
    # a view holding no parameter (edited in the admin) would redirect here for ever.
    default = None if request.GET else saved_view_default_for(user=user)
    if default is not None and QueryDict(default.query):
        return redirect(f"{request.path}?{default.query}")
    params = queue_params(request, user)
    htmx: HtmxDetails = request.htmx  # type: ignore[attr-defined]
    if htmx and htmx.target == "results":
        return render(request, "tickets/_queue_results.html", results_context(user, params))
    # The versions first: a change committed while the page renders bumps them again, and the
    # first poll then refreshes.
    versions = live.queue_versions(user=user, tiers=tab_tiers(user))
    results = shared_results(request, user=user, params=params, versions=versions)
    counts = queue_counts(user, queue=params.queue, versions=versions)
    # A bulk action refused without JavaScript: its values and rows as they were sent.
    draft = bulk_draft_pop(request) if user.is_agent else {}
    context: dict[str, Any] = {
        "params": params,
        "results_html": _ticked(results.html, draft.get("ids", [])),
        "bulk_draft": draft,
        "next_url": results.next_url,
        "bulk": user.is_agent,
    }
    categories = category_tree_choices(category_tree())
    agents = list(
        User.objects.filter(role=Role.AGENT, is_active=True)
        .only(*_PERSON)
        .order_by("display_name", "username")
    )
    context.update(
        live_etag=live.queue_etag(
            user=user, versions=versions, query=params.query(), now=live.now_seconds()
        ),
        live_seconds=live.POLL_SECONDS,
        p1_tickets=live.open_p1_tickets(user=user),
        # Each tab is a list of its own, unfiltered: its count is that list's length.
        tabs=[
            (key, label, f"?{urlencode({'queue': key})}", counts[key])
            for key, label in queues_for(user)
        ],
        status_tabs=[
            (
                status,
                label,
                f"?{urlencode({'queue': params.queue, 'status': status})}",
                counts[key],
                key,
            )
            for status, label, key in (
                ("open", _("Open"), "open"),
                (Status.RESOLVED, _("Solved (awaiting confirmation)"), "solved"),
            )
        ],
        statuses=[("open", _("Open")), ("all", _("All")), *Status.choices],
        kinds=Kind.choices,
        priorities=Priority.choices,
        categories=categories,
        filter_categories=[*categories, *_unlisted_category(params, categories)],
        agents=agents,
        unlisted_assignee=_unlisted_assignee(params, agents),
        sorts=list(SORTS.items()),
    )
    if user.is_agent:
        context.update(_bulk_context(user, params))
    return render(request, "tickets/console.html", context)


def _unlisted_category(
    params: QueueParams, categories: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    """The filter's category when the bar does not offer it (retired since a saved view or a
    link named it, or no such category): the list is filtered by it, and the bar said "Any
    category" — the next change of any filter then dropped it without a word. One query,
    only then."""
    if not params.category or any(pk == params.category for pk, _label in categories):
        return []
    category = Category.objects.select_related("parent").filter(pk=params.category).first()
    if category is None:
        return [(params.category, _("#%(id)s (no longer exists)") % {"id": params.category})]
    return [(category.pk, _("%(name)s (no longer in use)") % {"name": category.path})]


def _unlisted_assignee(params: QueueParams, agents: list[User]) -> tuple[str, str] | None:
    """As `_unlisted_category`, the assignee filter naming someone the bar does not list (an
    agent who left: their tickets, still to hand over). One query, only then."""
    agent_id = int_param(params.assignee)
    if agent_id is None or any(agent.pk == agent_id for agent in agents):
        return None
    former = User.objects.filter(pk=agent_id, role=Role.AGENT).only(*_PERSON).first()
    if former is None:
        return (params.assignee, _("#%(id)s (no such agent)") % {"id": agent_id})
    return (params.assignee, _("%(name)s (no longer an agent)") % {"name": former.name})


def _ticked(html: SafeString, ids: list[str]) -> SafeString:
    """The rows block with these rows' boxes ticked (ids are digits: nothing to escape)."""
    for value in ids:
        if value.isdigit():
            box = f'name="ids" value="{value}" form="bulk-form"'
            html = mark_safe(html.replace(box, f"{box} checked"))  # noqa: S308 (ours)
    return html


def results_context(user: User, params: QueueParams) -> dict[str, Any]:
    """The rows block: a page of the queue and its pager links."""
    rows, next_cursor = _paginate(queue_queryset(user, params), params)
    return {
        "rows": _queue_rows(rows, takes_at=agent_tiers(user=user)),
        "reference_hit": _reference_hit(user, params, rows),
        "bulk": user.is_agent,
        "params": params,
        "next_url": f"?{params.query(cursor=next_cursor)}" if next_cursor else "",
        "first_url": f"?{params.query(cursor='')}" if params.cursor else "",
        # Where a Take from a row comes back to: the console with these filters (the same
        # from the page and from a live poll, so that both can share the block).
        "next_path": f"{reverse('console')}?{params.query()}",
    }


def _reference_hit(user: User, params: QueueParams, rows: list[Ticket]) -> dict[str, Any] | None:
    """A search for a ticket's number ('123', '#123', 'INC-000123') names that ticket first,
    above the rows (which list the titles containing the number): its link is the first stop
    of Tab and of the cursor (j) in the results. It says so when the queue's filters (a tier,
    "open") leave it out of the list. No query when the page holds it; else one, with the
    queue's test (a title search costs what it did)."""
    reference = parse_reference(params.q) if params.q else None
    if reference is None:
        return None
    ticket = next((row for row in rows if row.pk == reference), None)
    listed = ticket is not None
    if ticket is None:
        ticket = ticket_by_reference_for_user(
            user=user, text=params.q, listed_in=queue_queryset(user, params)
        )
        if ticket is None:
            return None
        listed = ticket.listed  # type: ignore[attr-defined]
    return {
        "url": reverse("ticket_detail", args=[ticket.pk]),
        "reference": ticket.reference,
        "title": ticket.title,
        "status": ticket.status,
        "status_label": Status(ticket.status).label,
        "tier": Tier(ticket.tier).label,
        "listed": listed,
    }


@dataclasses.dataclass(frozen=True)
class SharedResults:
    html: SafeString
    next_url: str


def shared_results(
    request: HttpRequest, *, user: User, params: QueueParams, versions: dict[str, str] | None
) -> SharedResults:
    """The rows block (tickets/_queue_results.html), rendered once and shared by every viewer
    who sees the same rows: the console page and its live polls. After a change every agent of
    the tier polls again within seconds, and each render cost ~25 ms of CPU (docs/architecture.md,
    "Live queue").

    Shared only where the rows are the same for every viewer with that key: the tier's version,
    the filters and page, the language, the time zone, the minute (relative times), the role and
    the tiers the viewer takes tickets at (the Take buttons); "mine" and "assigned to me" also
    by the viewer. Each viewer's CSRF token replaces the placeholder in the Take forms."""
    key = _shared_rows_key(user=user, params=params, versions=versions)
    cached = cache.get(key) if key else None
    if cached is None:
        context = results_context(user, params)
        # No context processors: the token is the placeholder, not this viewer's.
        html = render_to_string(
            "tickets/_queue_results.html", {**context, "csrf_token": CSRF_PLACEHOLDER}
        )
        cached = (html, context["next_url"])
        if key:
            cache.set(key, cached, SHARED_ROWS_SECONDS)
    html, next_url = cached
    return SharedResults(
        html=mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request))),  # noqa: S308 (ours)
        next_url=next_url,
    )


def _shared_rows_key(*, user: User, params: QueueParams, versions: dict[str, str] | None) -> str:
    if versions is None or params.queue not in versions:
        return ""
    # A search by number shows that ticket if this viewer may read it (`_reference_hit`).
    personal = (
        params.queue == "mine" or params.assignee == "me" or parse_reference(params.q) is not None
    )
    parts = [
        live.RENDER_VERSION,
        versions[params.queue],
        params.query(),
        get_language() or "",
        timezone.get_current_timezone_name(),
        str(int(live.now_seconds() // 60)),
        str(user.role),
        ",".join(str(tier) for tier in sorted(agent_tiers(user=user))),
        str(user.pk) if personal else "",
    ]
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()
    return f"console:rows:{digest}"


def tab_tiers(user: User) -> list[int]:
    """The tiers of the user's tabs (whose versions their console follows)."""
    return [int(key[1]) for key, _label in queues_for(user) if key != "mine"]


def _bulk_context(user: User, params: QueueParams) -> dict[str, Any]:
    """The bulk bar's choices: the agents of the queue's tier (of the agent's own tiers on
    "Assigned to me"), priorities, resolution codes; categories are the filter's."""
    tiers = [int(params.queue[1])] if params.queue in ("l1", "l2", "l3") else agent_tiers(user=user)
    return {
        "bulk_actions": list(BULK_ACTIONS.items()),
        "bulk_agents": User.objects.filter(
            role=Role.AGENT, is_active=True, support_groups__tier__in=tiers
        )
        .distinct()
        .only(*_PERSON)
        .order_by("display_name", "username"),
        "resolution_codes": [(c.value, c.label) for c in map(ClosureCode, RESOLUTION_CODES)],
    }


def _queue_tickets(user: User, key: str) -> QuerySet[Ticket]:
    if key == "mine":
        return Ticket.objects.filter(assignee=user)
    return Ticket.objects.filter(tier=int(key[1]))


def _capped_counts(querysets: dict[str, tuple[str, QuerySet[Ticket]]]) -> dict[str, str]:
    """Each list's length, capped, by its name: `querysets` maps a name to its cache key and
    its list. One cache round trip for all of them; only the missing ones are counted."""
    cached = cache.get_many([cache_key for cache_key, _queryset in querysets.values()])
    counts: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, (cache_key, queryset) in querysets.items():
        if cache_key in cached:
            counts[name] = str(cached[cache_key])
            continue
        # SELECT COUNT(*) FROM (SELECT … LIMIT cap+1): bounded work on the (tier, status) index.
        number = queryset.order_by()[: COUNT_CAP + 1].count()
        counts[name] = missing[cache_key] = f"{COUNT_CAP}+" if number > COUNT_CAP else str(number)
    if missing:
        cache.set_many(missing, COUNTS_CACHE_SECONDS)
    return counts


def queue_counts(
    user: User, *, queue: str, versions: dict[str, str] | None = None
) -> dict[str, str]:
    """The badges, each the length of the list its tab links to, capped and shared for a few
    seconds: open tickets per tier tab and for "mine" (as the dashboard's backlog), and the
    current queue's "open" and "solved (awaiting confirmation)" status tabs.

    `versions` (live.queue_versions) are part of the cache keys: a change shows at once."""
    versions = versions or {}
    lists: dict[str, tuple[str, QuerySet[Ticket]]] = {}
    for key, _label in queues_for(user):
        scope = f"mine:{user.pk}" if key == "mine" else key
        lists[key] = (
            f"console-count:{scope}:{versions.get(key, '')}",
            _queue_tickets(user, key).filter(status__in=ACTIVE_STATES),
        )
    if queue in lists:
        scope = f"mine:{user.pk}" if queue == "mine" else queue
        lists["solved"] = (
            f"console-count:{scope}:solved:{versions.get(queue, '')}",
            _queue_tickets(user, queue).filter(status=Status.RESOLVED),
        )
    counts = _capped_counts(lists)
    if queue in counts:
        counts["open"] = counts[queue]
    return counts
