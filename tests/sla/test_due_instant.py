"""The due instant itself, as every reader sees it (DESIGN.md, SLA "Exact rules"): a clock that
stops at its due time is met, so a running clock at that instant is at risk, not breached; a
pause that begins at its due time never moves it, so the clock can only stop late and the sweep
records its breach: the page, the API, the list filters and the dashboard say so too."""

import pytest

from reports.compliance import unrecorded_breaches
from reports.forms import Filters
from reports.selectors import at_risk_clocks
from sla.models import ClockState, Metric, SlaEvent, SlaEventKind
from sla.sweep import sla_sweep
from tests.sla.conftest import at, clocks_of
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

FR, RES = Metric.FIRST_RESPONSE, Metric.RESOLUTION


def _clock(body, metric):
    clock = next(c for c in body["sla"] if c["metric"] == metric)
    return clock["state"], clock["at_risk"], clock["breached"]


def _listed(client, sla):
    return [row["id"] for row in client.get(f"/api/tickets/?sla={sla}").json()["results"]]


def test_a_running_clock_at_its_due_time_is_at_risk_not_breached(clock, make_ticket, api, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: first response due 11:00
    clock.to(at(11))
    client = api(agent_l1)

    body = client.get(f"/api/tickets/{ticket.pk}/").json()
    assert _clock(body, FR) == ("running", True, False)
    assert _listed(client, "at_risk") == [ticket.pk]
    assert _listed(client, "breached") == []  # said breached while a reply now is met
    assert [c.ticket_id for c in at_risk_clocks(filters=Filters(), now=at(11))] == [ticket.pk]

    services.comment_create(ticket=ticket, actor=agent_l1, body="Just in time.")
    assert clocks_of(ticket)[(FR, 1)].state == ClockState.MET


def test_a_clock_paused_at_its_due_time_is_breached_for_every_reader(
    clock, make_ticket, api, client, agent_l1
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)  # P3: resolution due 09:00 the next day
    services.comment_create(ticket=ticket, actor=agent_l1, body="Looking into it.")
    clock.to(at(9, days=1))
    services.ticket_hold(ticket=ticket, actor=agent_l1, reason="Need your logs")
    clock.to(at(9, 30, days=1))

    # Before the sweep, the dashboard counts the breach from the clock.
    owed = unrecorded_breaches(start=at(0), end=at(9, 30, days=1), now=at(9, 30, days=1))
    assert [(c.ticket_id, c.metric) for c in owed] == [(ticket.pk, RES)]
    sla_sweep()
    assert SlaEvent.objects.filter(ticket=ticket, metric=RES, kind=SlaEventKind.BREACH).exists()

    reader = api(agent_l1)
    body = reader.get(f"/api/tickets/{ticket.pk}/").json()
    # It was shown amber, "paused" and at risk.
    assert _clock(body, RES) == ("paused", False, True)
    assert _listed(reader, "breached") == [ticket.pk]
    assert _listed(reader, "at_risk") == []
    client.force_login(agent_l1)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "paused · overdue" in page
