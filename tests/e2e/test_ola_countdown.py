"""Issue 22 in a browser: the tier's OLA countdown ticks beside the SLA one, in the agent's
language, and the requester's page has none."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from escalation.models import Tier
from ola.models import OlaTarget
from tests.e2e.test_story import sign_in
from tickets import services
from tickets.models import Level

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ola_countdown_ticks_for_agents_only(
    browser, live_server, requester, agent_l1, category
):
    OlaTarget.objects.create(
        tier=Tier.L1,
        priority=2,
        take_within=timedelta(minutes=15),
        handoff_within=timedelta(minutes=30),
    )
    # A P2 nobody took, opened 20 minutes ago: take overdue, hand-off ~10 min left.
    with time_machine.travel(timezone.now() - timedelta(minutes=20), tick=False):
        ticket = services.ticket_create(
            requester=requester, title="VPN", description="…", urgency=Level.MEDIUM
        )
        services.ticket_triage(
            ticket=ticket,
            actor=agent_l1,
            kind="incident",
            category=category,
            impact=Level.HIGH,
            urgency=Level.MEDIUM,
        )
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    page = sign_in(browser, live_server, agent_l1)
    # The page's timers on a clock of the test's own: one tick is run, not waited for.
    page.clock.install()
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    clocks = page.locator("[data-testid=ola-clocks] .sla-countdown")
    page.clock.run_for(1000)  # at least one tick of static/sla/countdown.js
    texts = clocks.all_inner_texts()
    assert texts[0] == "vencida"
    assert re.fullmatch(r"(9|10) min \d\d s restantes", texts[1]), texts
    assert page.locator("[data-testid=ola-clocks] .sla-red").count() == 1

    mine = sign_in(browser, live_server, requester)
    mine.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert mine.locator("[data-testid=ola-clocks]").count() == 0
