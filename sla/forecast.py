"""The breach forecast: which clocks breach in the next N hours if nothing happens.

"If nothing happens" means a clock that keeps running: state `running` with its due time in
(now, now + N h]. A paused clock (the ticket waits on the requester) does not advance, so it
cannot breach until it resumes and is left out; a running clock already past its due time has
breached (the sweep records it within a minute) and is not forecast: those that fell due in the
last N hours, (now − N h, now], are counted apart as `overdue` (the same window looking back,
so the read stays as short as the forecast's, however old the backlog). Due times are stored
in wall time with working hours already applied, so the forecast is a range read on `due_at`
(reports_clock_running_idx: running clocks by due time).

Every figure counts clocks, not tickets: a ticket whose response and resolution clocks are
both due in the window counts twice, as it would breach twice.

Clock sources: the SLA clocks and the per-tier OLA clocks (ola.models.OlaClock: take and
hand-off) are the two `SOURCES`; a reader may ask for one of them (`sources`, the page's and
the API's `?source=sla|ola`; both by default). Counts and groupings add up over the sources,
each read one query for all of them (UNION ALL), and the list merges them by due time (the
cursor carries the source's position, so keyset paging stays exact across sources).
"""

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role, User
from escalation.models import SupportGroup, Tier
from ola.models import OlaClock, OlaMetric
from sla.models import ClockState, Metric, SlaClock
from tickets.models import ACTIVE_STATES, Ticket

WINDOW_HOURS = (1, 4, 8, 24)
DEFAULT_WINDOW_HOURS = 4
PAGE_SIZE = 50


# --- who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastScope:
    """The tickets a reader may see in the forecast: every tier (None) or some tiers."""

    tiers: frozenset[int] | None = None

    def ticket_q(self, prefix: str = "ticket__") -> Q:
        return Q() if self.tiers is None else Q(**{f"{prefix}tier__in": sorted(self.tiers)})


def forecast_scope_for(*, user: User) -> ForecastScope | None:
    """Managers see every tier; the lead of a support group sees the tiers of the groups they
    lead (the same people hierarchical escalation calls the tier lead); anyone else None."""
    if not (user.is_authenticated and user.is_active):
        return None
    if user.role == Role.MANAGER:
        return ForecastScope()
    if user.role != Role.AGENT:
        return None
    tiers = frozenset(SupportGroup.objects.filter(lead=user).values_list("tier", flat=True))
    return ForecastScope(tiers=tiers) if tiers else None


# --- clock sources -----------------------------------------------------------------------------


class ForecastSource:
    """A kind of clock the forecast reads: a model with `ticket`, `due_at` and a running state."""

    name = "sla"
    title = "SLA"

    def running(self, *, scope: ForecastScope) -> QuerySet[Any]:
        return SlaClock.objects.filter(Q(state=ClockState.RUNNING) & scope.ticket_q()).order_by()

    def label(self, row: Any) -> str:
        return str(Metric(row.metric).label)


class OlaForecastSource(ForecastSource):
    """The per-tier OLA clocks (docs/ola.md): the same rules, a running state and a stored due
    time (ola_clock_running_idx: running clocks by due time)."""

    name = "ola"
    title = "OLA"

    def running(self, *, scope: ForecastScope) -> QuerySet[Any]:
        return OlaClock.objects.filter(Q(state=ClockState.RUNNING) & scope.ticket_q()).order_by()

    def label(self, row: Any) -> str:
        # As the ticket's page names them: "L1 · Take".
        return f"L{row.tier} · {OlaMetric(row.metric).label}"


SOURCES: Sequence[ForecastSource] = (ForecastSource(), OlaForecastSource())
SOURCE_NAMES = tuple(source.name for source in SOURCES)


def _chosen(sources: Iterable[str] | None) -> list[tuple[int, ForecastSource]]:
    """(position in SOURCES, source) of the sources asked for; every one for None."""
    wanted = set(SOURCE_NAMES if sources is None else sources)
    return [(position, s) for position, s in enumerate(SOURCES) if s.name in wanted]


def _union(querysets: list[QuerySet[Any]]) -> list[Any]:
    """The rows of every queryset in one query (UNION ALL); none for no queryset."""
    if not querysets:
        return []
    first, *rest = querysets
    return list(first.union(*rest, all=True) if rest else first)


# --- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page of the list ends: the last row's due time, source position and id."""

    due_at: datetime
    source: int
    pk: int

    def encode(self) -> str:
        micros = int(self.due_at.timestamp() * 1_000_000)
        return f"{micros}-{self.source}-{self.pk}"

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        """ValueError when `value` is not one of ours."""
        match = re.fullmatch(r"(\d{1,17})-(\d{1,3})-(\d{1,18})", value)
        if match is None or int(match[2]) >= len(SOURCES):
            raise ValueError(value)
        due_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(match[1]))
        return cls(due_at=due_at, source=int(match[2]), pk=int(match[3]))

    def after_q(self, source: int) -> Q:
        """Rows of source `source` that come after this cursor in (due_at, source, pk) order."""
        later = Q(due_at__gt=self.due_at)
        if source > self.source:
            return later | Q(due_at=self.due_at)
        if source == self.source:
            return later | Q(due_at=self.due_at, pk__gt=self.pk)
        return later


@dataclass(frozen=True)
class ForecastItem:
    source: str  # "sla" or "ola"
    clock_id: int
    label: str
    metric: str  # the clock's metric: first_response, next_response, resolution; take, handoff
    due_at: datetime
    ticket_id: int
    reference: str
    title: str
    status: str
    priority: int
    tier: int
    group: str
    assignee: str
    seconds_left: int  # from the forecast's `now`


@dataclass(frozen=True)
class ForecastRow:
    """One line of a grouping: `key` None is "no group" / "unassigned"; `load` is the agent's
    open tickets (assignee rows only)."""

    key: int | None
    label: str
    count: int
    load: int | None = None


@dataclass(frozen=True)
class Forecast:
    hours: int
    now: datetime
    until: datetime
    total: int
    overdue: int
    items: list[ForecastItem]
    more: int
    next_cursor: str | None
    by_tier: list[ForecastRow] = field(default_factory=list)
    by_group: list[ForecastRow] = field(default_factory=list)
    by_assignee: list[ForecastRow] = field(default_factory=list)
    # The sources read (names, in SOURCES order) and each one's share of `total`.
    sources: list[str] = field(default_factory=lambda: list(SOURCE_NAMES))
    by_source: dict[str, int] = field(default_factory=dict)


def _window(hours: int, now: datetime) -> Q:
    return Q(due_at__gt=now, due_at__lte=now + timedelta(hours=hours))


def forecast_counts_by_source(
    *,
    now: datetime,
    windows: Iterable[int] = WINDOW_HOURS,
    scope: ForecastScope | None = None,
    sources: Iterable[str] | None = None,
) -> dict[str, dict[int, int]]:
    """Running clocks due within each window, source → hours → count: one query, an indexed
    range read per source (the widest window), each narrower window a FILTER of the same scan."""
    scope = scope or ForecastScope()
    windows = sorted(set(windows))
    chosen = _chosen(sources)
    totals = {source.name: dict.fromkeys(windows, 0) for _position, source in chosen}
    rows = _union(
        [
            source.running(scope=scope)
            .filter(_window(windows[-1], now))
            .annotate(source=Value(position, output_field=IntegerField()))
            .values("source")
            .annotate(
                **{
                    f"h{hours}": Count("pk", filter=Q(due_at__lte=now + timedelta(hours=hours)))
                    for hours in windows
                }
            )
            .order_by()
            for position, source in chosen
        ]
    )
    for row in rows:
        name = SOURCES[row["source"]].name
        for hours in windows:
            totals[name][hours] += row[f"h{hours}"]
    return totals


def forecast_counts(
    *,
    now: datetime,
    windows: Iterable[int] = WINDOW_HOURS,
    scope: ForecastScope | None = None,
    sources: Iterable[str] | None = None,
) -> dict[int, int]:
    """Running clocks of the sources (all by default) due within each window, hours → count,
    in one query (forecast_counts_by_source)."""
    windows = sorted(set(windows))
    by_source = forecast_counts_by_source(now=now, windows=windows, scope=scope, sources=sources)
    return {hours: sum(counts[hours] for counts in by_source.values()) for hours in windows}


def forecast(
    *,
    hours: int,
    scope: ForecastScope,
    now: datetime | None = None,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
    sources: Iterable[str] | None = None,
) -> Forecast:
    """The forecast for one window as a reader in `scope` sees it, over `sources` (every
    source by default): the counts, the groupings and one page of the clocks, soonest first.
    A fixed number of queries: window and overdue counts (one for every source), the page (one
    per source), what follows it (one), the groupings (one); then group names and the agents'
    loads (two more)."""
    if hours not in WINDOW_HOURS:
        raise ValueError(f"hours must be one of {WINDOW_HOURS}")
    now = now or timezone.now()
    chosen = _chosen(sources)
    window = _window(hours, now)
    total = overdue = more = 0
    by_source = {source.name: 0 for _position, source in chosen}
    for row in _union(
        [
            source.running(scope=scope)
            .filter(
                due_at__gt=now - timedelta(hours=hours), due_at__lte=now + timedelta(hours=hours)
            )
            .annotate(source=Value(position, output_field=IntegerField()))
            .values("source")
            .annotate(
                total=Count("pk", filter=Q(due_at__gt=now)),
                overdue=Count("pk", filter=Q(due_at__lte=now)),
            )
            .order_by()
            for position, source in chosen
        ]
    ):
        by_source[SOURCES[row["source"]].name] += row["total"]
        total += row["total"]
        overdue += row["overdue"]
    pages: list[list[tuple[datetime, int, int, Any]]] = []
    for position, source in chosen:
        in_window = source.running(scope=scope).filter(window)
        page = in_window.filter(cursor.after_q(position)) if cursor else in_window
        rows = list(
            page.select_related("ticket__support_group", "ticket__assignee").order_by(
                "due_at", "pk"
            )[: limit + 1]
        )
        pages.append([(row.due_at, position, row.pk, row) for row in rows])
    combos: dict[tuple[int, int | None, int | None], int] = {}
    for combo in _union(
        [
            source.running(scope=scope)
            .filter(window)
            .values_list("ticket__tier", "ticket__support_group", "ticket__assignee")
            .annotate(n=Count("pk"))
            .order_by()
            for _position, source in chosen
        ]
    ):
        key = (combo[0], combo[1], combo[2])
        combos[key] = combos.get(key, 0) + combo[3]
    merged = list(heapq.merge(*pages, key=lambda entry: entry[:3]))
    shown, rest = merged[:limit], merged[limit:]
    next_cursor = None
    if rest and shown:
        last = Cursor(due_at=shown[-1][0], source=shown[-1][1], pk=shown[-1][2])
        next_cursor = last.encode()
        more = sum(
            row["n"]
            for row in _union(
                [
                    source.running(scope=scope)
                    .filter(window)
                    .filter(last.after_q(position))
                    .annotate(source=Value(position, output_field=IntegerField()))
                    .values("source")
                    .annotate(n=Count("pk"))
                    .order_by()
                    for position, source in chosen
                ]
            )
        )
    items = [_item(SOURCES[position], row, now) for _due, position, _pk, row in shown]
    by_tier, by_group, by_assignee = _groupings(combos)
    return Forecast(
        hours=hours,
        now=now,
        until=now + timedelta(hours=hours),
        total=total,
        overdue=overdue,
        items=items,
        more=more,
        next_cursor=next_cursor,
        by_tier=by_tier,
        by_group=by_group,
        by_assignee=by_assignee,
        sources=[source.name for _position, source in chosen],
        by_source=by_source,
    )


def _item(source: ForecastSource, row: Any, now: datetime) -> ForecastItem:
    ticket: Ticket = row.ticket
    return ForecastItem(
        source=source.name,
        clock_id=row.pk,
        label=source.label(row),
        metric=row.metric,
        due_at=row.due_at,
        ticket_id=ticket.pk,
        reference=ticket.reference,
        title=ticket.title,
        status=ticket.status,
        priority=ticket.priority,
        tier=ticket.tier,
        group=ticket.support_group.name if ticket.support_group else "",
        assignee=ticket.assignee.name if ticket.assignee else "",
        seconds_left=int((row.due_at - now).total_seconds()),
    )


def _sorted_rows(
    counts: dict[int | None, int], labels: dict[int | None, str]
) -> list[tuple[int | None, int]]:
    """Most clocks first; the row without a key (no group, unassigned) last among equals."""
    return sorted(
        counts.items(), key=lambda kv: (-kv[1], kv[0] is None, labels.get(kv[0], "").lower())
    )


def _groupings(
    combos: dict[tuple[int, int | None, int | None], int],
) -> tuple[list[ForecastRow], list[ForecastRow], list[ForecastRow]]:
    tiers: dict[int, int] = {}
    groups: dict[int | None, int] = {}
    assignees: dict[int | None, int] = {}
    for (tier, group, assignee), n in combos.items():
        tiers[tier] = tiers.get(tier, 0) + n
        groups[group] = groups.get(group, 0) + n
        assignees[assignee] = assignees.get(assignee, 0) + n
    by_tier = [
        ForecastRow(key=tier, label=str(Tier(tier).label), count=tiers[tier])
        for tier in sorted(tiers)
    ]
    group_labels: dict[int | None, str] = {None: str(_("No group"))}
    if any(key is not None for key in groups):
        group_labels.update(
            SupportGroup.objects.filter(pk__in=[k for k in groups if k is not None]).values_list(
                "pk", "name"
            )
        )
    by_group = [
        ForecastRow(key=key, label=group_labels.get(key, str(key)), count=n)
        for key, n in _sorted_rows(groups, group_labels)
    ]
    labels: dict[int | None, str] = {None: str(_("Unassigned"))}
    loads: dict[int | None, int] = {}
    agent_ids = [k for k in assignees if k is not None]
    if agent_ids:
        for agent in agent_load(agent_ids=agent_ids):
            labels[agent.pk] = agent.name
            loads[agent.pk] = agent.load  # type: ignore[attr-defined]
    by_assignee = [
        ForecastRow(
            key=key,
            label=labels.get(key, str(key)),
            count=n,
            load=None if key is None else loads.get(key, 0),
        )
        for key, n in _sorted_rows(assignees, labels)
    ]
    return by_tier, by_group, by_assignee


def agent_load(*, agent_ids: list[int]) -> QuerySet[User]:
    """The agents with `load`: their open tickets (assigned, not yet resolved), as queue health
    counts them; one query (sla_forecast_open_assignee_idx: open tickets by assignee)."""
    open_tickets = (
        Ticket.objects.filter(assignee=OuterRef("pk"), status__in=ACTIVE_STATES)
        .order_by()
        .values("assignee")
        .annotate(n=Count("*"))
        .values("n")
    )
    return User.objects.filter(pk__in=agent_ids).annotate(load=Coalesce(Subquery(open_tickets), 0))


# The CSV header in the user's language (the download is for people; the JSON API keeps its
# field names). In English each name stays as it was, so a script reading the English export
# keeps finding its columns.
CSV_HEADER = [
    pgettext_lazy("CSV column", "ticket"),
    pgettext_lazy("CSV column", "title"),
    pgettext_lazy("CSV column", "status"),
    pgettext_lazy("CSV column", "priority"),
    pgettext_lazy("CSV column", "tier"),
    pgettext_lazy("CSV column", "group"),
    pgettext_lazy("CSV column", "assignee"),
    pgettext_lazy("CSV column", "kind"),
    pgettext_lazy("CSV column", "clock"),
    pgettext_lazy("CSV column", "due_at"),
    pgettext_lazy("CSV column", "seconds_left"),
]


def _stream(
    position: int, source: ForecastSource, *, hours: int, scope: ForecastScope, now: datetime
) -> Iterator[tuple[datetime, int, int, Any]]:
    rows = (
        source.running(scope=scope)
        .filter(_window(hours, now))
        .select_related("ticket__support_group", "ticket__assignee")
        .order_by("due_at", "pk")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        yield (row.due_at, position, row.pk, row)


def forecast_csv_rows(
    *, hours: int, scope: ForecastScope, now: datetime, sources: Iterable[str] | None = None
) -> Iterator[list[Any]]:
    """Every clock of the window, soonest first, read in chunks (for a streamed CSV)."""
    streams = [
        _stream(position, source, hours=hours, scope=scope, now=now)
        for position, source in _chosen(sources)
    ]
    for _due, position, _pk, row in heapq.merge(*streams, key=lambda entry: entry[:3]):
        item = _item(SOURCES[position], row, now)
        yield [
            item.reference,
            item.title,
            item.status,
            f"P{item.priority}",
            item.tier,
            item.group,
            item.assignee,
            SOURCES[position].title,
            item.label,
            item.due_at,  # in the user's time zone (helpdesk.csv_export)
            item.seconds_left,
        ]
