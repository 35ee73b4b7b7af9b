from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template

from sla.models import ClockState, SlaClock, SlaTarget
from tests.sla.conftest import at, clocks_of
from tickets import services
from tickets.models import ClosureCode, Status

pytestmark = pytest.mark.django_db


def test_recompute_applies_a_changed_policy_to_existing_clocks(clock, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution 24 h
    SlaTarget.objects.filter(priority=3).update(
        resolution=SlaTarget.resolution.field.to_python("12:00:00")
    )
    out = StringIO()
    call_command("sla_recompute", stdout=out)

    assert clocks_of(ticket)[("resolution", 1)].due_at == at(21)
    assert "1 had different clocks" in out.getvalue()


def test_recompute_restores_clocks_tampered_with(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 40))
    services.ticket_resolve(ticket=ticket, actor=agent_l1, summary="ok", code=ClosureCode.FIXED)
    SlaClock.objects.filter(ticket=ticket).delete()

    call_command("sla_recompute", "--ticket", str(ticket.pk), stdout=StringIO())

    assert {k: c.state for k, c in clocks_of(ticket).items()} == {
        ("first_response", 1): ClockState.MET,
        ("resolution", 1): ClockState.MET,
    }


def test_explain_prints_the_timeline_and_the_arithmetic(clock, make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(12))
    services.comment_create(ticket=ticket, actor=agent_l1, body="late")
    out = StringIO()
    call_command("sla_recompute", "--explain", str(ticket.pk), stdout=out)

    text = out.getvalue()
    assert (
        "first_response #1 stopped at 2025-03-03 12:00:00 UTC, due 2025-03-03 11:00:00 UTC" in text
    )
    assert "BREACHED (1h00m00s late)" in text
    assert "resolution #1: started 2025-03-03 09:00:00" in text
    assert "RUNNING (left" in text


def test_the_partial_renders_countdowns_with_their_due_times(clock, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(10, 40))  # first response at risk

    html = Template("{% load sla %}{% sla_clocks ticket %}").render(Context({"ticket": ticket}))

    assert 'class="sla-clock sla-running sla-amber"' in html
    assert 'data-sla-due="2025-03-03T11:00:00+00:00"' in html
    assert 'data-sla-at-risk="2025-03-03T10:30:00+00:00"' in html
    clock.to(at(11, 30))
    html = Template("{% load sla %}{% sla_clocks ticket %}").render(Context({"ticket": ticket}))
    assert "sla-red" in html and "overdue" in html
