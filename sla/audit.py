"""The audit behind `manage.py sla_verify`: every clock replayed from its ticket's history, in
memory, and compared with the stored clock and with what the reports count.

Three checks, none of which writes:

1. Clocks: the stored clocks are the replay's (state, priority, policy, calendar, start,
   target, pauses, 75 %/90 %/due times, stop).
2. Verdicts: the recorded verdict of each clock (`SlaOutcome`) is what the replayed clock says
   (`sla.outcomes.verdict_of`, with the alert level the sweep stored), and a clock past its due
   time whose breach is not recorded yet is still owed to the sweep (`next_alert_at` set, by
   its due time), which is how the dashboard counts it meanwhile.
3. Day counts: `SlaOutcomeDay` equals the verdicts added up per day and dimension (one grouped
   query joined to the day table on PostgreSQL).

Tickets are read in chunks by id (six queries per chunk), so memory stays bounded whatever
the size of the database.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from sla.engine import pause_intervals, reached_level
from sla.models import ClockState, SlaClock, SlaOutcome, SlaOutcomeDay
from sla.outcomes import BREACH_LEVEL, DIMENSIONS, rollup_zone, verdict_of
from sla.services import REPLAY_TICKET_FIELDS, ReplayContext, clocks_replay, histories_of
from tickets.models import Ticket

CHUNK = 500
# What a stored clock must share with its replay.
CLOCK_FIELDS = [
    "state",
    "priority",
    "policy_id",
    "calendar_id",
    "started_at",
    "target",
    "paused",
    "paused_since",
    "at_risk_at",
    "warning_at",
    "due_at",
    "stopped_at",
]


@dataclass(frozen=True)
class Disagreement:
    ticket_id: int | None  # None: a day count
    clock: str  # "first_response #1", or the day count's key
    what: str

    def __str__(self) -> str:
        where = f"ticket {self.ticket_id} {self.clock}" if self.ticket_id else self.clock
        return f"{where}: {self.what}"


@dataclass
class AuditResult:
    tickets: int = 0
    clocks: int = 0
    verdicts: int = 0
    owed: int = 0  # breaches past due that the sweep has yet to record
    day_rows: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)


def _name(metric: str, cycle: int) -> str:
    return f"{metric} #{cycle}"


def _value(clock: SlaClock, name: str) -> Any:
    return getattr(clock, name)


def compare_ticket(
    *,
    ticket_id: int,
    stored: list[SlaClock],
    replayed: list[SlaClock],
    outcomes: dict[tuple[str, int], tuple[bool, datetime]],
    now: datetime,
    result: AuditResult,
) -> None:
    """Add to `result` what differs between one ticket's stored clocks and verdicts and its
    replay."""
    out = result.disagreements
    by_key = {(c.metric, c.cycle): c for c in stored}
    expected = {(c.metric, c.cycle): c for c in replayed}
    for key in sorted(by_key.keys() - expected.keys()):
        out.append(Disagreement(ticket_id, _name(*key), "stored, but the replay has no such clock"))
    for key in sorted(expected.keys() - by_key.keys()):
        out.append(Disagreement(ticket_id, _name(*key), "missing (the replay has it)"))
    for key in sorted(expected.keys() & by_key.keys()):
        mine, theirs = by_key[key], expected[key]
        result.clocks += 1
        diffs = [
            f"{name} {_value(mine, name)} ≠ replay {_value(theirs, name)}"
            for name in CLOCK_FIELDS
            if _value(mine, name) != _value(theirs, name)
        ]
        if pause_intervals(mine) != pause_intervals(theirs):
            diffs.append(f"pauses {mine.pauses} ≠ replay {theirs.pauses}")
        if diffs:
            out.append(Disagreement(ticket_id, _name(*key), "; ".join(diffs)))
            continue
        # The verdict: the replayed clock with the alert level the sweep stored.
        theirs.alert_level = mine.alert_level
        verdict = verdict_of(theirs, now=now)
        want = None if verdict is None else (verdict.met, verdict.at)
        have = outcomes.get(key)
        if have != want:
            out.append(
                Disagreement(
                    ticket_id,
                    _name(*key),
                    f"report counts {_verdict(have)}, the clock says {_verdict(want)}",
                )
            )
        past_due = theirs.state != ClockState.MET and reached_level(theirs, now) == BREACH_LEVEL
        if past_due and mine.alert_level < BREACH_LEVEL:
            if mine.next_alert_at is None or mine.next_alert_at > mine.due_at:
                out.append(
                    Disagreement(
                        ticket_id,
                        _name(*key),
                        f"past due since {mine.due_at:%Y-%m-%d %H:%M:%S} but the sweep will "
                        f"never record the breach (alert level {mine.alert_level}, next alert "
                        f"{mine.next_alert_at})",
                    )
                )
            else:
                result.owed += 1
    result.verdicts += len(outcomes)
    for key in sorted(outcomes.keys() - expected.keys()):
        out.append(Disagreement(ticket_id, _name(*key), "a verdict is recorded for no clock"))


def _verdict(value: tuple[bool, datetime] | None) -> str:
    if value is None:
        return "nothing"
    met, at = value
    return f"{'met' if met else 'breached'} at {at:%Y-%m-%d %H:%M:%S}"


def audit_clocks(
    *,
    ticket_ids: list[int] | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    now: datetime | None = None,
    chunk: int = CHUNK,
    result: AuditResult | None = None,
) -> AuditResult:
    """Checks 1 and 2 over the tickets chosen (all by default), a chunk at a time."""
    now = now or timezone.now()
    result = result or AuditResult()
    context = ReplayContext()
    tickets = Ticket.objects.order_by("pk").only(*REPLAY_TICKET_FIELDS)
    if ticket_ids:
        tickets = tickets.filter(pk__in=ticket_ids)
    if since is not None:
        tickets = tickets.filter(updated_at__gte=since)
    last = 0
    while limit is None or result.tickets < limit:
        size = chunk if limit is None else min(chunk, limit - result.tickets)
        batch = list(tickets.filter(pk__gt=last)[:size])
        if not batch:
            break
        last = batch[-1].pk
        _audit_chunk(batch, context=context, now=now, result=result)
    return result


def _audit_chunk(
    tickets: list[Ticket], *, context: ReplayContext, now: datetime, result: AuditResult
) -> None:
    ids = [t.pk for t in tickets]
    histories = histories_of(ids)
    stored: defaultdict[int, list[SlaClock]] = defaultdict(list)
    for clock in SlaClock.objects.filter(ticket_id__in=ids):
        stored[clock.ticket_id].append(clock)
    outcomes: defaultdict[int, dict[tuple[str, int], tuple[bool, datetime]]] = defaultdict(dict)
    for ticket_id, metric, cycle, met, at in SlaOutcome.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "metric", "cycle", "met", "at"):
        outcomes[ticket_id][(metric, cycle)] = (met, at)
    for ticket in tickets:
        replayed = clocks_replay(
            ticket=ticket, context=context, history=histories[ticket.pk], now=now
        )
        compare_ticket(
            ticket_id=ticket.pk,
            stored=stored[ticket.pk],
            replayed=replayed,
            outcomes=outcomes[ticket.pk],
            now=now,
            result=result,
        )
        result.tickets += 1


DAY_KEY = ["day", "metric", *DIMENSIONS]

DAYS_SQL = """
WITH counted AS (
    SELECT (o.at AT TIME ZONE %s)::date AS day, o.metric, {dims},
           COUNT(*) FILTER (WHERE o.met) AS met, COUNT(*) FILTER (WHERE NOT o.met) AS breached
    FROM {outcomes} AS o
    GROUP BY 1, 2, {positions}
)
SELECT {key}, COALESCE(c.met, 0), COALESCE(c.breached, 0), COALESCE(d.met, 0),
       COALESCE(d.breached, 0)
FROM counted AS c FULL OUTER JOIN {days} AS d USING ({key})
WHERE COALESCE(c.met, 0) <> COALESCE(d.met, 0)
   OR COALESCE(c.breached, 0) <> COALESCE(d.breached, 0)
ORDER BY day
"""


def audit_days(*, result: AuditResult | None = None) -> AuditResult:
    """Check 3: each day row against the verdicts it adds up."""
    result = result or AuditResult()
    result.day_rows = SlaOutcomeDay.objects.filter(Q(met__gt=0) | Q(breached__gt=0)).count()
    for key, verdicts, days in _day_differences():
        label = "day " + " ".join(
            f"{name}={value}" for name, value in zip(DAY_KEY, key, strict=True)
        )
        result.disagreements.append(
            Disagreement(
                None,
                label,
                f"counts met {days[0]}, breached {days[1]}; its verdicts: met {verdicts[0]}, "
                f"breached {verdicts[1]}",
            )
        )
    return result


def _day_differences() -> Iterator[tuple[tuple[Any, ...], tuple[int, int], tuple[int, int]]]:
    if connection.vendor == "postgresql":
        sql = DAYS_SQL.format(
            dims=", ".join(f"o.{name}" for name in DIMENSIONS),
            positions=", ".join(str(3 + i) for i in range(len(DIMENSIONS))),
            key=", ".join(DAY_KEY),
            outcomes=SlaOutcome._meta.db_table,
            days=SlaOutcomeDay._meta.db_table,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [settings.TIME_ZONE])
            n = len(DAY_KEY)
            for found in cursor:
                yield tuple(found[:n]), (found[n], found[n + 1]), (found[n + 2], found[n + 3])
        return
    # Elsewhere (SQLite, small): both sides in memory.
    counted: dict[tuple[Any, ...], tuple[int, int]] = {}
    for row in (
        SlaOutcome.objects.annotate(day=TruncDate("at", tzinfo=rollup_zone()))
        .values(*DAY_KEY)
        .annotate(
            n_met=Count("pk", filter=Q(met=True)), n_breached=Count("pk", filter=Q(met=False))
        )
        .order_by()
    ):
        counted[tuple(row[name] for name in DAY_KEY)] = (row["n_met"], row["n_breached"])
    stored = {
        tuple(values[:-2]): (values[-2], values[-1])
        for values in SlaOutcomeDay.objects.values_list(*DAY_KEY, "met", "breached")
    }
    for key in sorted(counted.keys() | stored.keys(), key=str):
        verdicts, days = counted.get(key, (0, 0)), stored.get(key, (0, 0))
        if verdicts != days:
            yield key, verdicts, days
