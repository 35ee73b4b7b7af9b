"""Issue 16, item 8, in a browser: the SLA countdown ticks in the page's language, with the
clock's gender and the plural ("vencida", "5 h 59 min restantes")."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.e2e.test_story import sign_in
from tickets import services
from tickets.models import Level

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_countdown_speaks_spanish(browser, live_server, requester, agent_l1, category):
    # A P2 opened two hours ago: first response (1 h) overdue, resolution (8 h) ~6 h left.
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
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

    clocks = page.locator(".panel .sla-clock .sla-countdown")
    page.clock.run_for(1000)  # at least one tick of static/sla/countdown.js
    texts = clocks.all_inner_texts()
    assert texts[0] == "vencida"
    assert re.fullmatch(r"5 h \d\d min restantes", texts[1]), texts
