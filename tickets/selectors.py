"""Reads of tickets. Every access to a ticket goes through the gate `ticket_get_for_user`."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Upper
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from escalation.membership import agent_tiers
from escalation.models import Tier
from helpdesk.ids import parse_id, typed_ascii
from sla.selectors import sla_at_risk_filter, sla_breached_filter, sla_clocks_prefetch
from tickets.models import Attachment, Category, Comment, EventKind, Status, Ticket, TicketEvent


def category_tree_order(categories: Iterable[Category]) -> list[Category]:
    """Categories as a tree: each top category (by its name in the active language), then its
    subcategories by name. Callers pass categories with `parent` selected (no query here).
    """

    def key(category: Category) -> tuple[str, int, int, str]:
        parent = category.parent if category.parent_id else None
        top = parent or category
        return (
            top.label.casefold(),
            top.pk,
            0 if parent is None else 1,
            "" if parent is None else category.label.casefold(),
        )

    return sorted(categories, key=key)


def category_tree(*, active_only: bool = True) -> list[Category]:
    """Every category in tree order, for pickers; one query."""
    categories = Category.objects.select_related("parent")
    if active_only:
        categories = categories.filter(is_active=True)
    return category_tree_order(categories)


def ticket_visibility(*, user: User) -> Q | None:
    """The tickets a user may read, as a filter; None means every ticket."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.MANAGER:
        return None
    if user.role == Role.AGENT:
        tiers = agent_tiers(user=user)
        if Tier.L1 in tiers:
            return None  # the service desk owns every incident end to end
        return Q(tier__in=tiers) | Q(assignee=user)
    if user.role == Role.REQUESTER:
        own = Q(requester=user)
        if user.organisation_id and user.organisation.share_tickets:  # type: ignore[union-attr]
            own |= Q(organisation_id=user.organisation_id)
        return own
    if user.role == Role.SECURITY_OFFICER:
        return _linked_to_a_breach()  # security officers read the tickets linked to a breach
    return Q(pk__in=[])


def _linked_to_a_breach() -> Q:
    # EXISTS rather than a join: a ticket linked to two breaches is still one row.
    links = Ticket.breaches.through.objects.filter(ticket_id=OuterRef("pk"))  # type: ignore[attr-defined]
    return Q(Exists(links))


def tickets_visible_to(*, user: User) -> QuerySet[Ticket]:
    visibility = ticket_visibility(user=user)
    queryset = Ticket.objects.all()
    return queryset if visibility is None else queryset.filter(visibility)


def ticket_get_for_user(*, user: User, ticket_id: int) -> Ticket:
    """The one gate: a ticket the user may read, or 404 (never revealing that it exists)."""
    try:
        return (
            tickets_visible_to(user=user)
            .select_related("requester", "assignee", "category__parent", "organisation")
            .get(pk=ticket_id)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such ticket.")) from None


@dataclass(frozen=True)
class TicketClosing:
    by: User | None  # None: the automatic close
    at: datetime | None  # None: not known (a ticket closed before its events were kept)


def ticket_closing(*, ticket: Ticket) -> TicketClosing:
    """Who closed the ticket (its last move to closed; None for the automatic close), and when."""
    event = (
        TicketEvent.objects.filter(ticket=ticket, to_status=Status.CLOSED)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None:
        return TicketClosing(by=None, at=ticket.closed_at)
    return TicketClosing(by=event.actor, at=event.created_at)


def ticket_get_for_breach_link(*, user: User, ticket_id: int) -> Ticket:
    """A ticket a security officer links to a breach (they read it from then on); else 404."""
    if not (user.is_authenticated and user.is_active and user.role == Role.SECURITY_OFFICER):
        raise Http404(_("No such ticket."))
    try:
        return Ticket.objects.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such ticket.")) from None


def tracking_link_expired(*, ticket: Ticket, now: datetime | None = None) -> bool:
    """A tracking link stops working HELPDESK_TRACKING_LINK_DAYS after its ticket closed."""
    if ticket.status != Status.CLOSED or ticket.closed_at is None:
        return False
    moment = now or timezone.now()
    return ticket.closed_at < moment - timedelta(days=settings.HELPDESK_TRACKING_LINK_DAYS)


def ticket_get_by_tracking_token(*, token: str) -> Ticket:
    """The ticket of a secret tracking link; 404 for a wrong, revoked or expired link."""
    try:
        ticket = Ticket.objects.select_related("requester", "assignee", "category__parent").get(
            tracking_token=token
        )
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None
    if tracking_link_expired(ticket=ticket):
        raise Http404(_("No such ticket."))
    return ticket


@dataclass(frozen=True)
class TicketFilters:
    status: list[str] | None = None
    kind: str | None = None
    tier: int | None = None
    priority: int | None = None
    category: int | None = None
    assignee: int | None = None
    unassigned: bool = False
    requester: int | None = None
    search: str = ""
    sla: str | None = None  # "at_risk" (an open clock past 75 %) or "breached"


SLA_FILTERS = ("at_risk", "breached")


def parse_reference(text: str) -> int | None:
    """'INC-000123', 'req-124', '#123', '123', and as people also type it 'INC 000123' or
    'INC000123' → 123, in the digits of their keyboard too ('INC-١٢٣', '＃１２３'); anything
    else → None."""
    value = typed_ascii(text).strip().upper().lstrip("#")
    for prefix in ("INC", "REQ"):
        if value.startswith(prefix):
            value = value[len(prefix) :].lstrip(" -")
    return parse_id(value)


def ticket_by_reference_for_user(
    *, user: User, text: str, listed_in: QuerySet[Ticket] | None = None
) -> Ticket | None:
    """The ticket a search term names by its number ('INC-000123', '#123', '123') if the user
    may read it, whatever list they are looking at; None otherwise. One query, by primary key
    (none when the term is not a number). With `listed_in` (a list), its `listed` says whether
    that list holds it, in the same query."""
    reference = parse_reference(text)
    if reference is None:
        return None
    visible = tickets_visible_to(user=user).filter(pk=reference)
    if listed_in is not None:
        listed = listed_in.filter(pk=OuterRef("pk")).order_by().values("pk")
        visible = visible.annotate(listed=Exists(listed))
    return visible.only("id", "kind", "title", "status", "tier").first()


# pg_trgm indexes runs of at least three letters or digits; a term without one gives the
# trigram index nothing to look up, and a LIKE on it scans the table.
_TRIGRAM_WORD = re.compile(r"[^\W_]{3,}")


class _WordStartsWith(Func):
    """`'PC' <% UPPER(title)`: the title has a word starting with the term (pg_trgm word
    similarity, padded trigrams), served by the trigram index `ticket_title_trgm_bucket`."""

    arg_joiner = " <%% "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _Contains(Func):
    """`NOT textnlike(UPPER(title), UPPER('%em%'))`: the title contains the term — the LIKE of
    Django's `icontains`, as the negation of NOT LIKE's function. PostgreSQL counts the LIKE
    operator from the title's statistics, and beside the word similarity (which, for a term of
    one word, implies it) that counted one condition twice: `em` (7 % of titles) was estimated
    at 0.5 %, and the open queue could read every match through the trigram index instead of
    walking (bench/RESULTS.md, stop 28). This function has no estimator (a default 2/3) and
    costs what the LIKE costs, so it is still tested before the word similarity."""

    template = "(NOT textnlike(%(expressions)s))"
    output_field = BooleanField()


class _AtMostAny(Func):
    """`id <= ANY (ARRAY(SELECT …))`: an index bound evaluated once (an InitPlan) that the
    planner does not count as selective (a non-constant array: ~98 %, where `id <= (SELECT …)`
    counts as a third of the rows and turned some walks into bitmaps of every match)."""

    arg_joiner = " <= ANY "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def ticket_search_filter(text: str) -> Q:
    """What a search term finds in a list: titles containing it, and for a ticket's number
    ('404', '#404', 'INC-000404') that ticket too. A number is also text people put in titles
    ("Error 404 on intranet"): the titles containing the number are listed beside the ticket
    it names, in the list's usual order (a search by number found that ticket alone)."""
    reference = parse_reference(text)
    if reference is None:
        return title_search_filter(text)
    term = text.strip()
    digits = term.lstrip("#").strip()
    return title_search_filter(digits if digits.isdigit() else term, also_id=reference)


def title_search_filter(text: str, *, also_id: int | None = None) -> Q:
    """Titles containing `text` (case-insensitive), in a shape the trigram index serves;
    with `also_id`, that ticket as well (a search by its number).

    On PostgreSQL a term with no run of three letters or digits ("PC", "HR", "a b") matches
    where a word of the title starts with it: a plain LIKE on it has no trigram to look up and
    reads the whole table (seconds at 1M tickets). Elsewhere (SQLite) a plain substring match.

    The containment (LIKE) comes first: when PostgreSQL walks the primary key backwards it tests
    each row; both are declared the same cost, so it tests them in the written order, and the
    LIKE rejects a row about 4x faster than the word similarity (bench/RESULTS.md, issue 19
    item 3).

    And on PostgreSQL `id <= ticket_title_search_bound(…)`: an id above which no title matches,
    found in the trigram index by id buckets (tickets migrations 0009 and 0010: the newest
    match's id), so that walk starts at the newest match instead of testing the whole run. It
    is one InitPlan evaluated in the statement's snapshot: it never leaves a match out, the
    rows and their order are the same. With `also_id` the bound is at least that id.
    """
    text = text.strip()
    match = title_match_filter(text)
    if also_id is not None:
        match |= Q(pk=also_id)
    if connection.vendor != "postgresql":
        return match
    # The LIKE pattern `title__icontains` builds (the function applies the same UPPER).
    pattern = f"%{connection.ops.prep_for_like_query(text)}%"
    word = None if _TRIGRAM_WORD.search(text) else text.upper()
    if also_id is None:
        bound = RawSQL("ARRAY(SELECT ticket_title_search_bound(%s, %s))", (pattern, word))
    else:
        # That ticket's id only if it exists (GREATEST skips a NULL): a number above every id
        # would otherwise lift the bound to it and the walk would start at the newest ticket.
        bound = RawSQL(
            "ARRAY(SELECT GREATEST(ticket_title_search_bound(%s, %s),"
            " (SELECT id FROM tickets_ticket WHERE id = %s)))",
            (pattern, word, also_id),
        )
    return match & Q(_AtMostAny(F("id"), bound))


def title_match_filter(text: str) -> Q:
    """The match of `title_search_filter` alone (without the id bound).

    A short term's containment is `_Contains`, not the LIKE operator of `icontains`: the same
    rows, but estimated so that the word similarity sets the planner's count of matches (the
    LIKE and the word similarity are one condition, not two)."""
    text = text.strip()
    if connection.vendor != "postgresql" or _TRIGRAM_WORD.search(text):
        return Q(title__icontains=text)
    pattern = f"%{connection.ops.prep_for_like_query(text)}%"
    contains = _Contains(Upper("title"), Upper(Value(pattern)))
    return Q(contains) & Q(_WordStartsWith(Value(text.upper()), Upper("title")))


def ticket_list(*, user: User, filters: TicketFilters) -> QuerySet[Ticket]:
    queryset = (
        tickets_visible_to(user=user)
        .select_related("requester", "assignee", "category__parent")
        .prefetch_related(sla_clocks_prefetch())
    )
    if filters.status:
        queryset = queryset.filter(status__in=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.tier:
        queryset = queryset.filter(tier=filters.tier)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.category:
        # A top category includes its subcategories; an IN list keeps the (category, -id) index
        # usable, where an OR across the join made PostgreSQL scan the whole table.
        subcategories = Category.objects.filter(parent_id=filters.category).values_list(
            "pk", flat=True
        )
        queryset = queryset.filter(category_id__in=[filters.category, *subcategories])
    # Who holds a ticket is the team's business: for anyone else the filter is ignored, or it
    # would tell a requester who holds their ticket (`?assignee=<id>` returning it or not).
    if filters.unassigned and _is_staff(user):
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee and _is_staff(user):
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.requester:
        queryset = queryset.filter(requester_id=filters.requester)
    if filters.sla == "at_risk":
        queryset = queryset.filter(sla_at_risk_filter(now=timezone.now()))
    elif filters.sla == "breached":
        queryset = queryset.filter(sla_breached_filter(now=timezone.now()))
    if filters.search:
        queryset = queryset.filter(ticket_search_filter(filters.search))
    return queryset


def _is_staff(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_staff_member)  # type: ignore[union-attr]


def ticket_comments_for_user(*, user: User | AnonymousUser, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation; internal notes and files only for support staff."""
    if _is_staff(user):
        return ticket.comments.select_related("author").prefetch_related("attachments")
    public_files = Prefetch("attachments", queryset=Attachment.objects.filter(is_internal=False))
    return (
        ticket.comments.filter(is_internal=False)
        .select_related("author")
        .prefetch_related(public_files)
    )


# Steps of the support team's own process a requester does not read about (their changes and
# reasons, e.g. a priority override's, are the team's).
INTERNAL_STEPS = ("identify", "categorize", "prioritize")


def ticket_events_for_user(*, user: User | AnonymousUser, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The events of a ticket the user may read. Support staff: every event. Anyone else (the
    requester, a security officer, the tracking link): the ticket's creation and its lifecycle
    transitions but the team's own classification steps; never field changes, SLA or management
    events. Internal reasons and the changes are blanked per event by `event_reason_for_user`
    and the serializers, so the timeline still shows that something happened and when."""
    events = ticket.events.select_related("actor")
    if _is_staff(user):
        return events
    return events.filter(
        Q(kind=EventKind.CREATED)
        | (Q(kind=EventKind.TRANSITION) & ~Q(transition__in=INTERNAL_STEPS))
    )


def event_reason_for_user(*, user: User | AnonymousUser, event: TicketEvent) -> str:
    if event.reason_is_internal and not _is_staff(user):
        return ""
    return event.reason
