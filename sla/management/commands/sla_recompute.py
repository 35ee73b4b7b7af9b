"""Rebuild SLA clocks from the ticket events, or explain one ticket's clocks.

manage.py sla_recompute                 # every ticket (after a policy change, for an audit)
manage.py sla_recompute --ticket 12     # one ticket
manage.py sla_recompute --explain 12    # print why ticket 12 met or breached its SLA
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from sla.models import SlaClock, SlaEvent
from sla.selectors import clock_status
from sla.services import ReplayContext, clocks_rebuild, clocks_replay
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Rebuild every SLA clock from the ticket events, or --explain one ticket."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--explain", type=int, metavar="TICKET_ID")
        parser.add_argument("--ticket", type=int, metavar="TICKET_ID", action="append")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["explain"] is not None:
            self._explain(options["explain"])
            return
        tickets = Ticket.objects.order_by("pk")
        if options["ticket"]:
            tickets = tickets.filter(pk__in=options["ticket"])
        context = ReplayContext()
        changed = total = 0
        last_pk = 0
        while True:
            batch = list(tickets.filter(pk__gt=last_pk)[: options["batch"]])
            if not batch:
                break
            for ticket in batch:
                before = _summary(SlaClock.objects.filter(ticket=ticket))
                after = _summary(clocks_rebuild(ticket=ticket, context=context))
                changed += before != after
                total += 1
            last_pk = batch[-1].pk
        self.stdout.write(f"{total} tickets rebuilt; {changed} had different clocks.")

    def _explain(self, ticket_id: int) -> None:
        try:
            ticket = Ticket.objects.get(pk=ticket_id)
        except Ticket.DoesNotExist:
            raise CommandError(f"No ticket {ticket_id}.") from None
        trace: list[str] = []
        clocks = clocks_replay(ticket=ticket, trace=trace)
        now = timezone.now()
        out = self.stdout
        out.write(
            f"{ticket.reference} “{ticket.title}” — status {ticket.status}, P{ticket.priority}"
        )
        out.write(
            f"created {ticket.created_at:%Y-%m-%d %H:%M:%S %Z}; now {now:%Y-%m-%d %H:%M:%S %Z}"
        )
        out.write("")
        out.write("Timeline (replayed from the ticket's events and messages):")
        for line in trace:
            out.write(line)
        out.write("")
        out.write("Result:")
        for clock in sorted(clocks, key=lambda c: (c.metric, c.cycle)):
            status = clock_status(clock, now=now)
            verdict = clock.state.upper()
            if clock.is_open:
                remaining = status["remaining_seconds"]
                verdict += f" ({'overdue by' if remaining < 0 else 'left'} {abs(remaining)} s)"
            out.write(
                f"  {clock.metric} #{clock.cycle}: started {clock.started_at:%Y-%m-%d %H:%M:%S}, "
                f"target {clock.target} (P{clock.priority}), paused {clock.paused}, "
                f"due {clock.due_at:%Y-%m-%d %H:%M:%S}"
                + (f", stopped {clock.stopped_at:%Y-%m-%d %H:%M:%S}" if clock.stopped_at else "")
                + f" → {verdict}"
            )
        events = SlaEvent.objects.filter(ticket=ticket).order_by("created_at")
        if events:
            out.write("")
            out.write("Recorded by the sweep:")
            for event in events:
                out.write(
                    f"  {event.created_at:%Y-%m-%d %H:%M:%S} {event.metric} #{event.cycle} "
                    f"{event.kind} (due {event.due_at:%Y-%m-%d %H:%M:%S})"
                )


def _summary(clocks: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (c.metric, c.cycle, c.state, c.due_at, c.stopped_at, c.target, c.paused) for c in clocks
    )
