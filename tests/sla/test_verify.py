"""`manage.py sla_verify`: every clock replayed and compared with the stored clocks, the
verdicts the reports count and their day counts; a list and exit 1 on any disagreement."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sla.models import Metric, SlaClock, SlaOutcome, SlaOutcomeDay
from sla.sweep import sla_sweep
from tests.sla.conftest import at
from tickets import services
from tickets.models import ClosureCode, Level, Status

pytestmark = pytest.mark.django_db

FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def _verify(*args):
    out = StringIO()
    try:
        call_command("sla_verify", *args, stdout=out)
    except CommandError as error:
        return 1, out.getvalue(), str(error)
    return 0, out.getvalue(), ""


def _histories(clock, make_ticket, requester, agent_l1, category):
    """A few tickets through the services: met, breached and swept, reprioritised after the
    breach, held, reopened, cancelled before and after due."""
    met = make_ticket(Status.IN_DIAGNOSIS)  # P3 at 09:00: first response due 11:00
    late = make_ticket(Status.IN_DIAGNOSIS)
    held = make_ticket(Status.IN_DIAGNOSIS)
    cancelled_late = make_ticket(Status.IN_DIAGNOSIS)
    lowered = services.ticket_create(
        requester=requester, title="Printer", description="Jammed", urgency=Level.HIGH
    )
    clock.to(at(10))
    services.comment_create(ticket=met, actor=agent_l1, body="On it.")
    services.ticket_hold(ticket=held, actor=agent_l1)
    clock.to(at(10, 30))
    services.ticket_resolve(ticket=met, actor=agent_l1, summary="ok", code=ClosureCode.FIXED)
    services.comment_create(ticket=met, actor=requester, body="Still broken.")  # reopens
    clock.to(at(11, 1))
    sla_sweep()  # breaches: late's, held's, cancelled_late's and lowered's first responses
    services.ticket_cancel(ticket=cancelled_late, actor=agent_l1, code=ClosureCode.DUPLICATE)
    services.ticket_triage(
        ticket=lowered,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact=Level.LOW,
        urgency=Level.LOW,
    )  # P5: due 12:00, no longer breached
    clock.to(at(11, 30))
    services.comment_create(ticket=late, actor=agent_l1, body="Sorry for the wait.")
    services.ticket_resume(ticket=held, actor=agent_l1)
    clock.to(at(12))
    sla_sweep()
    return {"met": met, "late": late, "held": held, "cancelled_late": cancelled_late}


def test_clean_histories_verify_clean(clock, make_ticket, requester, agent_l1, category):
    """The CI check (Makefile `test`, CI's test job): the SLA module's histories, built through
    the services and the sweep, must leave `sla_verify` clean. Cheap: a handful of tickets."""
    _histories(clock, make_ticket, requester, agent_l1, category)

    code, out, _error = _verify()

    assert code == 0, out
    assert "5 tickets" in out and "every figure agrees with the clocks" in out
    assert SlaOutcome.objects.filter(met=False).exists()  # there was something to check
    assert SlaOutcome.objects.filter(met=True).exists()


def test_a_tampered_clock_is_listed_and_exits_1(clock, make_ticket, requester, agent_l1, category):
    tickets = _histories(clock, make_ticket, requester, agent_l1, category)
    held = tickets["held"]
    SlaClock.objects.filter(ticket=held, metric=RES).update(due_at=at(23))

    code, out, error = _verify()

    assert code == 1
    assert f"ticket {held.pk} resolution #1: due_at" in out
    assert "1 disagreements" in error


def test_a_verdict_or_a_day_count_that_disagrees_is_listed(
    clock, make_ticket, requester, agent_l1, category
):
    tickets = _histories(clock, make_ticket, requester, agent_l1, category)
    late = tickets["late"]
    SlaOutcome.objects.filter(ticket=late, metric=FR).update(met=True)
    SlaOutcomeDay.objects.filter(metric=RES).update(met=7)

    code, out, _error = _verify()

    assert code == 1
    assert f"ticket {late.pk} first_response #1: report counts met at" in out
    assert "the clock says breached at 2025-03-03 11:00:00" in out
    assert "day day=2025-03-03 metric=first_response" in out  # the flipped verdict's day
    assert "day day=2025-03-03 metric=resolution" in out and "counts met 7" in out


def test_a_breach_the_sweep_would_never_record_is_listed(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(12))  # first response past due, not swept yet: owed, and that is fine
    code, out, _error = _verify("--ticket", str(ticket.pk))
    assert code == 0 and "1 breaches past due are still to be recorded by the sweep" in out

    SlaClock.objects.filter(ticket=ticket, metric=FR).update(next_alert_at=None)
    code, out, _error = _verify("--ticket", str(ticket.pk))
    assert code == 1 and "the sweep will never record the breach" in out


def test_missing_clocks_and_stray_verdicts_are_listed(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10))
    services.comment_create(ticket=ticket, actor=agent_l1, body="On it.")
    SlaClock.objects.filter(ticket=ticket, metric=RES).delete()
    SlaOutcome.objects.filter(ticket=ticket).update(cycle=9)

    code, out, _error = _verify("--ticket", str(ticket.pk), "--limit", "5")

    assert code == 1
    assert f"ticket {ticket.pk} resolution #1: missing (the replay has it)" in out
    assert f"ticket {ticket.pk} first_response #9: a verdict is recorded for no clock" in out
    assert f"ticket {ticket.pk} first_response #1: report counts nothing" in out


def test_limit_and_since_choose_the_tickets(clock, make_ticket):
    make_ticket(Status.IN_DIAGNOSIS)
    make_ticket(Status.IN_DIAGNOSIS)
    assert "1 tickets" in _verify("--limit", "1")[1]
    assert "0 tickets" in _verify("--since", "2025-03-04")[1]
    assert "2 tickets" in _verify("--since", "2025-03-03", "--chunk", "1")[1]
    with pytest.raises(CommandError):
        call_command("sla_verify", "--since", "yesterday", stdout=StringIO())


def test_verify_reads_a_chunk_of_tickets_in_a_fixed_number_of_queries(
    clock, make_ticket, django_assert_max_num_queries
):
    for _ in range(3):
        make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9) + timedelta(minutes=5))
    # policies (2), category parents, integration accounts, tickets, events, comments, SLA
    # events, clocks, verdicts, the next (empty) chunk, then the day counts (count + one
    # comparison; two grouped reads elsewhere than PostgreSQL)
    expected = 13 if connection.vendor == "postgresql" else 14
    with django_assert_max_num_queries(expected):
        assert _verify()[0] == 0
