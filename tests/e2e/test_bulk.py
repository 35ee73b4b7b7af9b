"""Issue 21 item 3 in a browser: take from the list, and a bulk action whose rows each say how
they went — two L1 agents, one quicker than the other on one ticket. English and Spanish."""

import pytest

from escalation.models import Tier
from tests.e2e.test_story import sign_in
from tests.factories import AgentFactory
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tick(page, ticket: Ticket) -> None:
    page.locator(f"input[data-bulk-row][value='{ticket.pk}']").check()


def test_two_agents_take_from_the_list_and_in_bulk(browser, live_server, make_ticket, agent_l1):
    other = AgentFactory(username="agent_l1_other", tier=Tier.L1)
    contested, free, third = (make_ticket(Status.PRIORITIZED) for _ in range(3))

    mine = sign_in(browser, live_server, agent_l1)
    theirs = sign_in(browser, live_server, other)
    assert mine.url.endswith("/console/") and theirs.url.endswith("/console/")

    # The other agent takes one ticket with its row's button, without leaving the list.
    theirs.locator(f"button[data-take='{contested.pk}']").click()
    outcome = theirs.locator("[data-testid=bulk-outcome]")
    outcome.locator(f"[data-outcome='{contested.pk}'][data-code='200']").wait_for()
    # The list refreshed itself: that row has no "Take" any more.
    theirs.locator(f"button[data-take='{contested.pk}']").wait_for(state="detached")
    assert Ticket.objects.get(pk=contested.pk).assignee_id == other.pk

    # My page is older: I tick the contested ticket and another, and take both.
    _tick(mine, contested)
    _tick(mine, free)
    assert mine.locator("[data-bulk-count]").inner_text() == "2 tickets selected"
    mine.locator("#bulk-action").select_option("take")
    mine.locator("[data-bulk-submit]").click()
    outcome = mine.locator("[data-testid=bulk-outcome]")
    outcome.locator("[data-code='409']").wait_for()
    assert "Take: 1 done, 1 not done." in outcome.inner_text()
    refused = outcome.locator(f"[data-outcome='{contested.pk}']").inner_text()
    assert "This action is not allowed while the ticket is In diagnosis." in refused
    assert outcome.locator(f"[data-outcome='{free.pk}'][data-code='200']").count() == 1
    assert Ticket.objects.get(pk=free.pk).assignee_id == agent_l1.pk
    assert Ticket.objects.get(pk=contested.pk).assignee_id == other.pk

    # Select all on the page, then escalate with a reason: the bar shows the reason field.
    # The list refreshes itself after the action: `free` is taken, its "Take" goes.
    mine.locator(f"button[data-take='{free.pk}']").wait_for(state="detached")
    mine.locator("input[data-bulk-all]").check()
    count = mine.locator("input[data-bulk-row]").count()
    assert mine.locator("[data-bulk-count]").inner_text() == f"{count} tickets selected"
    mine.locator("#bulk-action").select_option("escalate")
    assert mine.locator("#bulk-reason").is_visible()
    assert not mine.locator("#bulk-assignee").is_visible()
    mine.locator("#bulk-reason").fill("Needs the network team")
    # Not in diagnosis yet: that row is a 409, the others go through.
    mine.locator("[data-bulk-submit]").click()
    mine.locator("[data-testid=bulk-outcome] .bulk-summary", has_text="Escalate:").wait_for()
    outcome = mine.locator("[data-testid=bulk-outcome]")
    assert outcome.locator(f"[data-outcome='{free.pk}'][data-code='200']").count() == 1
    assert outcome.locator(f"[data-outcome='{third.pk}'][data-code='409']").count() == 1
    # The same tier works on each other's tickets (the single action's rule).
    assert outcome.locator(f"[data-outcome='{contested.pk}'][data-code='200']").count() == 1
    assert Ticket.objects.get(pk=free.pk).status == Status.ESCALATED
    assert Ticket.objects.get(pk=third.pk).status == Status.PRIORITIZED
    mine.context.close()
    theirs.context.close()


def test_the_bulk_bar_speaks_spanish(browser, live_server, make_ticket, agent_l1):
    ticket = make_ticket(Status.PRIORITIZED)
    second = make_ticket(Status.PRIORITIZED)
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    page = sign_in(browser, live_server, agent_l1)
    assert page.locator("[data-bulk-submit]").inner_text() == "Aplicar a los seleccionados"
    assert page.locator("[data-bulk-count]").inner_text() == "Ningún ticket seleccionado"
    _tick(page, ticket)
    assert page.locator("[data-bulk-count]").inner_text() == "Un ticket seleccionado"
    _tick(page, second)
    assert page.locator("[data-bulk-count]").inner_text() == "2 tickets seleccionados"
    page.locator("#bulk-action").select_option("hold")
    page.locator("[data-bulk-submit]").click()
    outcome = page.locator("[data-testid=bulk-outcome]")
    outcome.locator("[data-code='409']").first.wait_for()
    assert "0 hechos, 2 sin hacer" in outcome.inner_text()
    assert "no está permitida" in outcome.inner_text()
    page.context.close()


def test_a_double_click_on_apply_or_take_sends_one_request(
    browser, live_server, make_ticket, agent_l1
):
    """htmx queued a click made while the first request was on its way and sent it after: the
    rows the first click took came back "not done … while the ticket is In diagnosis"."""
    first, second, row = (make_ticket(Status.PRIORITIZED) for _ in range(3))
    page = sign_in(browser, live_server, agent_l1)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    _tick(page, first)
    _tick(page, second)
    page.locator("#bulk-action").select_option("take")
    page.locator("[data-bulk-submit]").dblclick()
    outcome = page.locator("[data-testid=bulk-outcome]")
    outcome.locator(f"[data-outcome='{second.pk}'][data-code='200']").wait_for()
    page.wait_for_load_state("networkidle")
    assert "Take: 2 done, 0 not done." in outcome.inner_text()

    page.locator(f"button[data-take='{row.pk}']").dblclick()
    outcome.locator(f"[data-outcome='{row.pk}'][data-code='200']").wait_for()
    page.wait_for_load_state("networkidle")
    assert "Take: 1 done, 0 not done." in outcome.inner_text()
    assert [url for url in posts if url.endswith("/console/bulk/")] == [
        f"{live_server.url}/console/bulk/"
    ] * 2
    page.context.close()
