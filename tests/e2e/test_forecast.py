"""A manager reads the breach forecast on a phone (390×844), in Spanish, and changes the
window: the figures follow, and nothing but the tables' own scroll is wider than the screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from escalation.models import Tier
from tests.e2e.test_story import PASSWORD
from tests.sla.test_forecast import add_clock, ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The words of the cells' text that the layout split over two lines.
BROKEN_WORDS = """cells => cells.flatMap(cell => {
  const node = [...cell.childNodes].find(n => n.nodeType === Node.TEXT_NODE && n.data.trim());
  if (!node) return [];
  const broken = [];
  for (const match of node.data.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
    if (tops.size > 1) broken.push(match[0]);
  }
  return broken;
})"""


def test_a_manager_reads_the_forecast_on_a_phone_in_spanish(
    browser, live_server, manager, agent_l1, screenshot
):
    manager.language = "es"
    manager.save(update_fields=["language"])
    # The live server's clock is real: clocks due from the real now.
    now = timezone.now()
    add_clock(
        ticket(tier=Tier.L1, assignee=agent_l1, title="Printer on fire"),
        due_in=timedelta(minutes=40),
        now=now,
    )
    add_clock(ticket(tier=Tier.L2), due_in=timedelta(hours=3), now=now)
    add_clock(ticket(tier=Tier.L2), due_in=timedelta(hours=20), now=now)

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/"))

    page.goto(f"{live_server.url}/sla/forecast/")
    assert page.locator("h1").inner_text() == "Previsión de incumplimientos"
    assert page.locator("[data-figure=forecast_total]").inner_text() == "2"
    assert page.input_value("#id_hours") == "4"  # the default window, shown as chosen
    assert "Printer on fire" in page.locator("[data-testid=forecast-list]").inner_text()
    # The page itself does not scroll sideways; wide tables scroll inside their wrapper.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A clock's name wraps between its words, not inside one ("Prime / ra / respu / esta").
    broken = page.locator("td[data-metric]").evaluate_all(BROKEN_WORDS)
    assert broken == [], broken
    screenshot(page, "sla-forecast-phone-es")

    page.select_option("#id_hours", "24")
    with page.expect_navigation():
        page.click("[data-testid=apply]")
    assert "hours=24" in page.url
    assert page.locator("[data-figure=forecast_total]").inner_text() == "3"
    context.close()
