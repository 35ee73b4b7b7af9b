"""Issue 21 item 1 in a browser: the live queue. An agent's console shows the ticket a requester
files, without a reload and keeping what the agent ticked; a P1 that another agent triages is
announced to the agents of its tier (banner, and a chime when turned on). English and Spanish."""

import re

import pytest
from playwright.sync_api import expect

from escalation.models import Tier
from tests.e2e.test_story import run_action, sign_in
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Level, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The poll is every few seconds (tickets.live.POLL_SECONDS); a slow shared machine gets room.
ARRIVES_WITHIN_MS = 20_000


def test_a_filed_ticket_appears_without_a_reload_keeping_the_ticks(
    browser, live_server, make_ticket, agent_l1, requester, category
):
    waiting = make_ticket(Status.PRIORITIZED, title="Old request")
    agent = sign_in(browser, live_server, agent_l1)
    assert agent.locator("#count-l1").inner_text() == "1"
    agent.locator(f"input[data-bulk-row][value='{waiting.pk}']").check()
    agent.evaluate("document.activeElement.blur()")
    agent.keyboard.press("j")  # the keyboard cursor on the first row
    agent.locator(f"input[data-bulk-row][value='{waiting.pk}']").focus()
    agent.evaluate("window.__sameDocument = true")  # gone if the page reloaded

    # The requester files a request through the portal, in their own browser context.
    customer = sign_in(browser, live_server, requester)
    customer.goto(f"{live_server.url}/new/")
    customer.fill("[name=title]", "Printer on fire")
    customer.fill("[name=description]", "Smoke from the 2nd floor printer.")
    customer.select_option("[name=category]", str(category.pk))
    customer.check("[name=urgency][value=medium]")
    with customer.expect_navigation():
        customer.click("[data-testid=ticket-form] button[type=submit]")
    filed = Ticket.objects.get(title="Printer on fire")

    row = agent.locator(f"tr[data-ticket='{filed.pk}']")
    row.wait_for(timeout=ARRIVES_WITHIN_MS)
    assert "Printer on fire" in row.inner_text()
    agent.locator("#count-l1", has_text="2").wait_for()
    assert agent.evaluate("window.__sameDocument") is True
    # What the agent was doing survived the swap: the tick, its count, the cursor.
    assert agent.locator(f"input[data-bulk-row][value='{waiting.pk}']").is_checked()
    assert agent.locator("[data-bulk-count]").inner_text() == "One ticket selected"
    assert agent.locator(f"tr.selected[data-ticket='{waiting.pk}']").count() == 1
    assert agent.evaluate("document.activeElement.value") == str(waiting.pk)
    # Not a P1: no announcement.
    assert agent.locator("[data-testid=p1-alert]").inner_text() == ""
    agent.context.close()
    customer.context.close()


@pytest.mark.parametrize(
    ("lang", "announced", "sound", "dismiss"),
    [
        ("en", "New P1 ticket", "Sound for new P1 tickets", "Dismiss"),
        ("es", "Nuevo ticket P1", "Sonido para tickets P1 nuevos", "Descartar"),
    ],
)
def test_a_new_p1_is_announced_to_its_tier(
    browser, live_server, make_ticket, agent_l1, category, lang, announced, sound, dismiss
):
    ticket = make_ticket(Status.LOGGED, title="Payments are down")
    expert = AgentFactory(username="expert_l3", tier=Tier.L3, language=lang)
    watcher = sign_in(browser, live_server, expert)
    watcher.goto(f"{live_server.url}/console/?queue=l3")
    toggle = watcher.locator("[data-live-sound]")
    assert toggle.inner_text() == sound
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()  # remembered in this browser
    watcher.reload()
    assert watcher.locator("[data-live-sound]").get_attribute("aria-pressed") == "true"
    chimes = int(watcher.locator("#live").get_attribute("data-chimes") or 0)

    # Another agent, in another browser context, triages it as P1: it goes straight to L3.
    triager = sign_in(browser, live_server, agent_l1)
    triager.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    details = triager.locator("details[data-action=triage]")
    details.locator("[name=triage-impact]").select_option("high")
    details.locator("[name=triage-urgency]").select_option("high")
    triager.locator("#priority-preview", has_text="P1").wait_for()
    run_action(
        triager, "triage", {"kind": "incident", "category": str(category.pk), "confirm": "on"}
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.tier) == (1, Tier.L3)

    alert = watcher.locator("[data-testid=p1-alert]")
    alert.locator(f"[data-p1='{ticket.pk}']").wait_for(timeout=ARRIVES_WITHIN_MS)
    assert alert.get_attribute("role") == "alert"
    text = alert.inner_text()
    assert f"{announced}: {ticket.reference}" in text and "Payments are down" in text
    assert alert.locator("a").get_attribute("href") == f"/tickets/{ticket.pk}/"
    watcher.locator(f"tr[data-ticket='{ticket.pk}']").wait_for()
    assert int(watcher.locator("#live").get_attribute("data-chimes")) > chimes
    # Announced once: another P1 arrives, the first is not repeated.
    later = make_ticket(Status.LOGGED, title="Card terminals offline")
    services.ticket_triage(
        ticket=later,
        actor=agent_l1,
        kind="incident",
        category=category,
        impact=Level.HIGH,
        urgency=Level.HIGH,
    )
    alert.locator(f"[data-p1='{later.pk}']").wait_for(timeout=ARRIVES_WITHIN_MS)
    assert alert.locator(f"[data-p1='{ticket.pk}']").count() == 1
    alert.locator("[data-p1-dismiss]", has_text=dismiss).click()
    assert alert.inner_text() == ""
    watcher.context.close()
    triager.context.close()


# The console's first poll with news (a 200, not a 304) is held in the page: the server renders
# it at once, but live.js gets the answer only when the test calls window.__releasePoll().
HOLD_THE_FIRST_NEWS = """(() => {
  const fetch = window.fetch.bind(window);
  const root = () => document.documentElement;  // not there yet while this script runs
  window.fetch = (url, options) => {
    if (!String(url).includes("/console/live/") || root().dataset.held) return fetch(url, options);
    return fetch(url, options).then(response => {
      if (response.status !== 200) return response;
      return response.text().then(body => new Promise(release => {
        window.__releasePoll = () => release(new Response(body, {
          status: response.status, headers: response.headers,
        }));
        root().dataset.held = "true";  // a mark in the page: Playwright waits for it by selector
      }));
    });
  };
})();"""


def test_a_poll_answered_before_a_take_does_not_bring_its_row_back(
    browser, live_server, make_ticket, agent_l1
):
    """A poll rendered before the agent's Take but arriving after the list's own refresh is
    older than the list: it must not draw the taken ticket's "Take" button again."""
    ticket = make_ticket(Status.PRIORITIZED)
    page = sign_in(browser, live_server, agent_l1)
    page.add_init_script(HOLD_THE_FIRST_NEWS)
    page.goto(f"{live_server.url}/console/")  # every poll of this page goes through the hold
    make_ticket(Status.PRIORITIZED, title="Arrived meanwhile")  # news for the next poll
    page.evaluate("window.helpdeskLive.poll()")
    page.locator("html[data-held]").wait_for(state="attached")
    polls = int(page.locator("#live").get_attribute("data-polls") or 0)

    # The Take goes through and the list redraws itself while that answer is held.
    page.locator(f"button[data-take='{ticket.pk}']").click()
    page.locator(
        f"[data-testid=bulk-outcome] [data-outcome='{ticket.pk}'][data-code='200']"
    ).wait_for()
    page.locator(f"button[data-take='{ticket.pk}']").wait_for(state="detached")

    page.evaluate("window.__releasePoll()")
    # Polls only count up: any other number is a later one.
    later = re.compile(rf"^(?!{polls}$)\d+$")
    expect(page.locator("#live")).to_have_attribute("data-polls", later)
    assert page.locator(f"button[data-take='{ticket.pk}']").count() == 0
    page.context.close()
