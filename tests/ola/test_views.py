"""The OLA countdown beside the SLA one on the agent's page, never on the requester's; the
dashboard's OLA figures per tier (issue 22)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from escalation.models import Tier
from ola.models import OlaClock
from ola.selectors import ola_compliance
from sla.models import ClockState
from tests.sla.conftest import at
from tickets import services
from tickets.models import ClosureCode, Status

pytestmark = pytest.mark.django_db


def _page(user, ticket, *, language="en"):
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    # The page activates the user's language in this thread: restore it afterwards, so later
    # tests' texts (the sweep's reasons) are not written in Spanish.
    with translation.override(translation.get_language()):
        return client.get(f"/tickets/{ticket.pk}/")


def test_the_agent_sees_the_tiers_countdown_beside_the_sla(
    clock, ola_targets, make_ticket, agent_l1
):
    ticket = make_ticket(Status.PRIORITIZED)  # L1: take due 09:15, handoff 09:30
    clock.to(at(9, 5))

    html = _page(agent_l1, ticket).content.decode()

    assert 'data-testid="ola-panel"' in html
    assert "Operational level (this tier)" in html
    assert "L1 · Take" in html and "L1 · Hand-off" in html
    assert "10 min 00 s left" in html  # take
    assert "25 min 00 s left" in html  # handoff
    # ticked by the SLA countdown script from the same attributes
    assert 'data-ola-metric="take"' in html and 'data-sla-due="2025-03-03T09:15:00' in html


def test_the_countdown_in_spanish(clock, ola_targets, make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    clock.to(at(9, 20))  # take overdue

    html = _page(agent_l1, ticket, language="es").content.decode()

    assert "Nivel operativo (este nivel)" in html
    assert "L1 · Toma" in html and "L1 · Derivación" in html
    assert ">vencida</time>" in html  # the take, feminine as "la toma"
    assert "10 min 00 s restantes" in html


def test_the_agent_page_says_when_no_ola_applies(make_ticket, agent_l1):
    html = _page(agent_l1, make_ticket(Status.PRIORITIZED)).content.decode()
    assert 'data-testid="ola-none"' in html


def test_the_requester_never_sees_ola_clocks(ola_targets, make_ticket, requester):
    ticket = make_ticket(Status.PRIORITIZED)
    assert OlaClock.objects.filter(ticket=ticket).exists()

    html = _page(requester, ticket).content.decode()

    assert "ola-clocks" not in html and "Operational level" not in html


def test_the_api_carries_the_clocks_for_staff_only(
    ola_targets, make_ticket, api, agent_l1, requester
):
    ticket = make_ticket(Status.PRIORITIZED)

    staff = api(agent_l1).get(f"/api/tickets/{ticket.pk}/").json()
    own = api(requester).get(f"/api/tickets/{ticket.pk}/").json()

    assert [(c["tier"], c["metric"], c["state"]) for c in staff["ola"]] == [
        (1, "take", "running"),
        (1, "handoff", "running"),
    ]
    assert staff["ola"][0]["target_seconds"] == 15 * 60
    assert "ola" not in own
    listed = api(requester).get("/api/tickets/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert all("ola" not in row for row in rows)


def test_a_write_answers_with_the_clocks_it_moved(ola_targets, make_ticket, api, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)

    answer = api(agent_l1).post(f"/api/tickets/{ticket.pk}/take/", {}, format="json").json()

    take = next(c for c in answer["ola"] if c["metric"] == "take")
    assert take["state"] == "met"


# --- the dashboard -------------------------------------------------------------------------------


def _verdicts(clock, make_ticket, agent_l1):
    """One L1 take met, one L1 take breached (both handed on in time), one open handoff
    overdue."""
    met = make_ticket(Status.IN_DIAGNOSIS)  # taken at 09:00
    late = make_ticket(Status.PRIORITIZED)
    clock.to(at(9, 20))
    services.ticket_take(ticket=late, actor=agent_l1)
    services.ticket_resolve(ticket=met, actor=agent_l1, summary="Done", code=ClosureCode.FIXED)
    services.ticket_resolve(ticket=late, actor=agent_l1, summary="Done", code=ClosureCode.FIXED)
    make_ticket(Status.IN_DIAGNOSIS)  # handoff due 09:50, still open
    clock.to(at(11))


def test_ola_compliance_per_tier_in_one_query(
    clock, ola_targets, make_ticket, agent_l1, django_assert_num_queries
):
    _verdicts(clock, make_ticket, agent_l1)

    with django_assert_num_queries(1):
        rows = ola_compliance(start=at(0), end=at(0, days=1), now=at(11))

    l1 = rows[0]
    assert [r.tier for r in rows] == [Tier.L1, Tier.L2, Tier.L3]
    assert (l1.figures["take"].met, l1.figures["take"].breached) == (2, 1)
    assert (l1.figures["handoff"].met, l1.figures["handoff"].breached) == (2, 1)
    assert l1.figures["take"].percent == pytest.approx(66.7)
    assert rows[1].figures["take"].total == 0


def test_a_period_counts_the_verdicts_decided_in_it(clock, ola_targets, make_ticket, agent_l1):
    _verdicts(clock, make_ticket, agent_l1)
    tomorrow = ola_compliance(start=at(0, days=1), end=at(0, days=2), now=at(11))
    assert tomorrow[0].figures["take"].total == 0


def test_the_manager_dashboard_shows_ola_per_tier(
    clock, ola_targets, make_ticket, agent_l1, client, manager
):
    _verdicts(clock, make_ticket, agent_l1)
    client.force_login(manager)

    html = client.get(reverse("reports:dashboard"), {"period": "7d"}).content.decode()

    assert 'data-testid="ola-table"' in html
    assert 'data-figure="take-met">2<' in html
    assert 'data-figure="take-breached">1<' in html


def test_recompute_revises_the_dashboard(clock, ola_targets, make_ticket, agent_l1):
    from ola.models import OlaTarget

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    clock.to(at(9, 40))  # handoff overdue since 09:30
    assert (
        ola_compliance(start=at(0), end=at(0, days=1), now=at(9, 40))[0].figures["handoff"].breached
        == 1
    )
    OlaTarget.objects.filter(tier=Tier.L1, priority=1).update(handoff_within=timedelta(hours=2))
    services.ticket_update(ticket=ticket, actor=agent_l1, priority=1, reason="Critical")

    rows = ola_compliance(start=at(0), end=at(0, days=1), now=at(9, 40))
    assert rows[0].figures["handoff"].breached == 0
    clock_row = OlaClock.objects.get(ticket=ticket, metric="handoff")
    assert clock_row.state == ClockState.RUNNING
