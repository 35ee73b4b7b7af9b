"""Check that every SLA figure agrees with the clocks, without writing anything.

manage.py sla_verify                    # the whole database, a chunk of tickets at a time
manage.py sla_verify --ticket 12        # one ticket (no day counts)
manage.py sla_verify --limit 10000      # the first 10 000 tickets, and the day counts
manage.py sla_verify --since 2026-11-01 # tickets changed since, and the day counts

Each ticket's clocks are replayed from its events and messages in memory (as `sla_recompute
--explain` does) and compared with the stored clocks and with the verdicts the reports count;
the day counts are compared with the verdicts they add up (`sla.audit`). Every disagreement is
listed (ticket, clock, what differs) and the command exits 1; otherwise it prints a one-line
summary and exits 0.
"""

import time
from datetime import datetime
from datetime import time as day_time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from sla.audit import CHUNK, AuditResult, audit_clocks, audit_days

MAX_LISTED = 1000


def _moment(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since: not a date or time: {value!r}")
        moment = datetime.combine(day, day_time(0))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Replay every SLA clock and check the stored clocks, verdicts and day counts agree."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ticket", type=int, metavar="TICKET_ID", action="append")
        parser.add_argument("--limit", type=int, help="check at most this many tickets")
        parser.add_argument("--since", type=_moment, help="only tickets changed since (date)")
        parser.add_argument("--chunk", type=int, default=CHUNK, help="tickets read at once")

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        result = AuditResult()
        audit_clocks(
            ticket_ids=options["ticket"],
            since=options["since"],
            limit=options["limit"],
            chunk=options["chunk"],
            result=result,
        )
        if not options["ticket"]:
            audit_days(result=result)
        elapsed = time.perf_counter() - start
        summary = (
            f"{result.tickets} tickets, {result.clocks} clocks, {result.verdicts} verdicts, "
            f"{result.day_rows} day rows checked in {elapsed:.1f} s"
        )
        if result.owed:
            summary += f"; {result.owed} breaches past due are still to be recorded by the sweep"
        if not result.disagreements:
            self.stdout.write(f"{summary}: every figure agrees with the clocks.")
            return
        for disagreement in result.disagreements[:MAX_LISTED]:
            self.stdout.write(str(disagreement))
        more = len(result.disagreements) - MAX_LISTED
        if more > 0:
            self.stdout.write(f"… and {more} more.")
        raise CommandError(f"{summary}: {len(result.disagreements)} disagreements.", returncode=1)
