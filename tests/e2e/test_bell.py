"""Issue 21 item 5 in a browser: agent B assigns a ticket to agent A, whose bell (in Spanish)
counts it without a reload; A opens the inbox and marks it read with the keyboard only."""

import pytest

from escalation.models import Tier
from tests.e2e.test_story import run_action, sign_in
from tests.factories import AgentFactory
from tickets.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_assignment_rings_the_assignee_s_bell_live(
    browser, live_server, make_ticket, agent_l1, settings, screenshot
):
    settings.HELPDESK_BELL_POLL_SECONDS = 1  # the live server reads it per request
    ana = AgentFactory(username="ana", display_name="Ana", tier=Tier.L1, language="es")
    ticket = make_ticket(Status.PRIORITIZED)

    page_a = sign_in(browser, live_server, ana)
    page_a.goto(f"{live_server.url}/console/")
    count = page_a.locator("[data-testid=bell-count]")
    count.wait_for(state="attached")
    assert count.get_attribute("data-count") == "0"
    assert page_a.locator("[data-testid=bell]").get_attribute("title") == "Sus notificaciones"

    page_b = sign_in(browser, live_server, agent_l1)
    page_b.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    run_action(page_b, "start_diagnosis", {"assignee": str(ana.pk)})

    # No reload: the count's own poll brings the news within a few seconds.
    page_a.wait_for_selector("[data-testid=bell-count][data-count='1']", timeout=8_000)
    assert "1 sin leer" in page_a.locator("[data-testid=bell-count]").inner_text()
    assert page_a.url.endswith("/console/")

    # Keyboard only: focus the bell, open the inbox, mark the notification read.
    page_a.locator("[data-testid=bell]").focus()
    with page_a.expect_navigation():
        page_a.keyboard.press("Enter")
    assert page_a.locator("h1").inner_text() == "Sus notificaciones"
    item = page_a.locator("[data-testid=inbox-item]")
    assert item.count() == 1
    assert "Ticket asignado" in item.inner_text() or ticket.reference in item.inner_text()
    screenshot(page_a, "bell-inbox-es")
    page_a.locator("[data-testid=mark-read]").focus()
    with page_a.expect_navigation():
        page_a.keyboard.press("Enter")
    assert "Leída" in page_a.locator("[data-testid=inbox-item]").inner_text()
    page_a.wait_for_selector("[data-testid=bell-count][data-count='0']", state="attached")

    # Opening it (Enter on its title) goes to the ticket.
    page_a.locator(".inbox-open button").focus()
    with page_a.expect_navigation():
        page_a.keyboard.press("Enter")
    assert page_a.url.endswith(f"/tickets/{ticket.pk}/")
