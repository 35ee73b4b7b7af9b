"""Reads of tickets. Every access to a ticket goes through the gate `ticket_get_for_user`."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from escalation.models import Tier
from escalation.selectors import agent_tiers
from sla.selectors import sla_at_risk_filter, sla_breached_filter, sla_clocks_prefetch
from tickets.models import Category, Comment, Ticket, TicketEvent


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


def ticket_get_for_breach_link(*, user: User, ticket_id: int) -> Ticket:
    """A ticket a security officer links to a breach (they read it from then on); else 404."""
    if not (user.is_authenticated and user.is_active and user.role == Role.SECURITY_OFFICER):
        raise Http404(_("No such ticket."))
    try:
        return Ticket.objects.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such ticket.")) from None


def ticket_get_by_tracking_token(*, token: str) -> Ticket:
    try:
        return Ticket.objects.select_related("requester", "assignee", "category__parent").get(
            tracking_token=token
        )
    except Ticket.DoesNotExist:
        raise Http404(_("No such ticket.")) from None


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
    """'INC-000123', 'req-124' or '#123' → 123; anything else → None."""
    value = text.strip().upper().lstrip("#")
    for prefix in ("INC-", "REQ-"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return int(value) if value.isdigit() and len(value) <= 18 else None


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
    if filters.unassigned:
        queryset = queryset.filter(assignee__isnull=True)
    elif filters.assignee:
        queryset = queryset.filter(assignee_id=filters.assignee)
    if filters.requester:
        queryset = queryset.filter(requester_id=filters.requester)
    if filters.sla == "at_risk":
        queryset = queryset.filter(sla_at_risk_filter(now=timezone.now()))
    elif filters.sla == "breached":
        queryset = queryset.filter(sla_breached_filter(now=timezone.now()))
    if filters.search:
        reference = parse_reference(filters.search)
        if reference is not None:
            queryset = queryset.filter(pk=reference)
        else:
            queryset = queryset.filter(title__icontains=filters.search.strip())
    return queryset


def ticket_comments_for_user(*, user: User, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation; internal notes only for support staff."""
    comments = ticket.comments.select_related("author").prefetch_related("attachments")
    if not user.is_authenticated or not user.is_staff_member:
        comments = comments.filter(is_internal=False)
    return comments


def ticket_events_for_user(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    """Every event of a ticket the user may read. Whole rows: what a requester must not see
    (internal reasons, field changes) is blanked per event by `event_reason_for_user` and the
    serializers, so the timeline still shows that something happened and when."""
    return ticket.events.select_related("actor")


def event_reason_for_user(*, user: User, event: TicketEvent) -> str:
    if event.reason_is_internal and not (user.is_authenticated and user.is_staff_member):
        return ""
    return event.reason
