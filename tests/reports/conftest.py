"""A day of hand-built tickets driven through the real services under frozen time, so the SLA
clocks are the real ones; every expected figure is worked out by hand in the tests."""

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reports.forms import Period
from tests.factories import CategoryFactory
from tickets import services
from tickets.models import ClosureCode, Level, Ticket

DAY = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
NOW = DAY + timedelta(hours=19, minutes=45)
PERIOD = Period(key="custom", start=DAY, end=NOW, bucket="day")


def at(hours: float, *, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hours)


@pytest.fixture(autouse=True)
def _default_policy(request):
    """The data migration's default policy: a transactional test before us may have flushed it."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    from django.apps import apps

    importlib.import_module("sla.migrations.0002_default_policy").seed(apps, None)


@dataclass
class Day:
    tickets: dict[str, Ticket]
    category: object
    other_category: object


def build_day(*, requester, agent_l1, agent_l2, category) -> Day:
    """The fixture of DAY (24×7 default policy; P2 = 1 h / 8 h, P3 = 2 h / 24 h):

    T8  created D−1 20:00 P3, reply D−1 20:30, resolved D 01:00          (TTR 5 h)
    T1  created 00:00 P3 (other category), reply 00:30, resolved 02:00     (TTR 2 h)
    T2  created 01:00 P2, reply 03:00 (FR breached at 02:00), hold 04:00, requester writes
        06:00 (resumes; next response due 07:00), reply 06:30, resolved 10:00 (TTR 9 − 2 = 7 h)
    T3  created 02:00 P3, resolved 03:00 (first response), reopened 04:00, hold 05:00,
        resume 06:00, resolved 08:00                                        (TTR 6 − 1 = 5 h)
    T4  created 03:00 P3, escalated 03:30 to L2, L2 replies 04:00, resolved 12:00 (TTR 9 h)
    T5  created 00:00 P2, reply 00:30, still in diagnosis: resolution due 08:00, breached
    T6  created 18:00 P3, untouched: first response at risk from 19:30 (due 20:00)
    T7  created 00:00, cancelled 01:00: its clocks count nowhere
    """
    other = CategoryFactory(name="Network", name_es="Red")
    tickets: dict[str, Ticket] = {}
    with time_machine.travel(at(20, days=-1), tick=False) as clock:

        def go(moment: datetime) -> None:
            clock.move_to(moment)

        def create(name: str) -> Ticket:
            ticket = services.ticket_create(
                requester=requester, title=name, description="Broken.", urgency=Level.MEDIUM
            )
            tickets[name] = ticket
            return ticket

        def triage(ticket: Ticket, impact: str, cat=category) -> Ticket:
            return services.ticket_triage(
                ticket=ticket,
                actor=agent_l1,
                kind="incident",
                category=cat,
                impact=impact,
                urgency=Level.MEDIUM,
            )

        def reply(ticket: Ticket, actor=agent_l1) -> None:
            services.comment_create(ticket=ticket, actor=actor, body="On it.")

        def resolve(ticket: Ticket, actor=agent_l1) -> Ticket:
            return services.ticket_resolve(
                ticket=ticket, actor=actor, summary="Fixed.", code=ClosureCode.FIXED
            )

        t8 = create("T8")
        t8 = services.ticket_take(ticket=triage(t8, Level.MEDIUM), actor=agent_l1)
        go(at(20.5, days=-1))
        reply(t8)

        go(at(0))
        t1 = create("T1")
        t5 = create("T5")
        t7 = create("T7")
        t1 = services.ticket_take(ticket=triage(t1, Level.MEDIUM, other), actor=agent_l1)
        t5 = services.ticket_take(ticket=triage(t5, Level.HIGH), actor=agent_l1)
        go(at(0.5))
        reply(t1)
        reply(t5)
        go(at(1))
        resolve(t8)
        services.ticket_cancel(ticket=t7, actor=agent_l1, code=ClosureCode.NOT_SUPPORT)
        t2 = create("T2")
        t2 = services.ticket_take(ticket=triage(t2, Level.HIGH), actor=agent_l1)
        go(at(2))
        resolve(t1)
        t3 = create("T3")
        t3 = services.ticket_take(ticket=triage(t3, Level.MEDIUM), actor=agent_l1)
        go(at(3))
        reply(t2)
        t3 = resolve(t3)
        t4 = create("T4")
        t4 = services.ticket_take(ticket=triage(t4, Level.MEDIUM), actor=agent_l1)
        go(at(3.5))
        t4 = services.ticket_escalate(ticket=t4, actor=agent_l1, reason="Needs L2.")
        t4 = services.ticket_take(ticket=t4, actor=agent_l2)
        go(at(4))
        reply(t4, agent_l2)
        t2 = services.ticket_hold(ticket=t2, actor=agent_l1, reason="Logs?")
        t3 = services.ticket_reopen(ticket=t3, actor=requester, reason="Still broken.")
        go(at(5))
        t3 = services.ticket_hold(ticket=t3, actor=agent_l1, reason="Logs?")
        go(at(6))
        services.comment_create(ticket=t2, actor=requester, body="Here are the logs.")
        t3 = services.ticket_resume(ticket=t3, actor=agent_l1)
        go(at(6.5))
        reply(t2)
        go(at(8))
        resolve(t3)
        go(at(10))
        resolve(t2)
        go(at(12))
        resolve(t4, agent_l2)
        go(at(18))
        t6 = create("T6")
        triage(t6, Level.MEDIUM)
    for ticket in tickets.values():
        ticket.refresh_from_db()
    return Day(tickets=tickets, category=category, other_category=other)


@pytest.fixture
def day(requester, agent_l1, agent_l2, category) -> Day:
    return build_day(requester=requester, agent_l1=agent_l1, agent_l2=agent_l2, category=category)
