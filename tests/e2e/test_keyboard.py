"""Issue 21 item 7 in a browser: the queue's and the ticket page's actions by keyboard alone, and
`?` listing the shortcuts (in English and Spanish). Two agents: one takes by keyboard what the
other then cannot."""

import pytest

from escalation.models import Tier
from tests.e2e.test_story import sign_in, status_of
from tests.factories import AgentFactory
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _ticked(page) -> list[str]:
    return page.eval_on_selector_all(
        "input[data-bulk-row]:checked", "boxes => boxes.map(b => b.value)"
    )


def test_the_queue_by_keyboard(browser, live_server, make_ticket, agent_l1):
    other = AgentFactory(username="agent_l1_other", tier=Tier.L1)
    # Newest first: rows are [working, second, first].
    first, second = make_ticket(Status.PRIORITIZED), make_ticket(Status.PRIORITIZED)
    working = make_ticket(Status.IN_DIAGNOSIS)

    page = sign_in(browser, live_server, agent_l1)
    keyboard = page.keyboard
    keyboard.press("?")
    dialog = page.locator("#shortcuts")
    assert dialog.is_visible()
    assert "Tick the ticket under the cursor" in dialog.inner_text()
    keyboard.press("Escape")
    assert not dialog.is_visible()

    # j to the second row, t: it is taken from the list (the row's own "Take").
    keyboard.press("j")
    keyboard.press("j")
    keyboard.press("t")
    page.locator(f"[data-testid=bulk-outcome] [data-outcome='{second.pk}']").wait_for()
    assert Ticket.objects.get(pk=second.pk).assignee_id == agent_l1.pk
    page.locator(f"button[data-take='{second.pk}']").wait_for(state="detached")

    # x ticks the row under the cursor; X ticks all; Esc none.
    page.locator("tr[data-href]").first.wait_for()
    keyboard.press("j")
    keyboard.press("x")
    assert len(_ticked(page)) == 1
    keyboard.press("Shift+X")
    assert len(_ticked(page)) == page.locator("input[data-bulk-row]").count()
    keyboard.press("Escape")
    assert _ticked(page) == []

    # Tick the ticket being worked on, h: the reason field has the cursor, Enter applies.
    page.locator(f"tr[data-ticket='{working.pk}']").click(position={"x": 5, "y": 5})
    assert _ticked(page) == [str(working.pk)]
    keyboard.press("h")
    assert page.evaluate("document.activeElement.id") == "bulk-reason"
    keyboard.type("Waiting for the logs")
    keyboard.press("Enter")
    summary = page.locator("[data-testid=bulk-outcome] .bulk-summary")
    summary.filter(has_text="Wait on requester: 1 done").wait_for()
    assert Ticket.objects.get(pk=working.pk).status == Status.ON_HOLD

    # The other agent takes `first` on their ticket page with t, before I do.
    theirs = sign_in(browser, live_server, other)
    theirs.goto(f"{live_server.url}/tickets/{first.pk}/")
    with theirs.expect_navigation():
        theirs.keyboard.press("t")
    assert status_of(theirs) == "in_diagnosis"
    assert Ticket.objects.get(pk=first.pk).assignee_id == other.pk

    # My list is older: tick `first` with x, t takes the ticked rows: a 409 for that row.
    page.locator(f"tr[data-ticket='{first.pk}']").wait_for()
    for _ in range(3):  # the list was refreshed: the cursor starts again above the first row
        keyboard.press("j")
    assert page.locator("tr.selected").get_attribute("data-ticket") == str(first.pk)
    keyboard.press("x")
    keyboard.press("t")
    page.locator(
        f"[data-testid=bulk-outcome] [data-outcome='{first.pk}'][data-code='409']"
    ).wait_for()
    page.context.close()
    theirs.context.close()


def test_a_ticket_by_keyboard_in_spanish(browser, live_server, make_ticket, agent_l1):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.IN_DIAGNOSIS)
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    page = sign_in(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/tickets/{duplicate.pk}/")
    page.keyboard.press("?")
    assert "Resolver, fusionar en otro ticket" in page.locator("#shortcuts").inner_text()
    page.keyboard.press("Escape")

    # e opens "escalate" with the cursor in its reason; Escape leaves the field.
    page.keyboard.press("e")
    assert page.locator("details[data-action=escalate]").get_attribute("open") is not None
    assert page.evaluate("document.activeElement.name") == "escalate-reason"
    page.keyboard.press("Escape")

    # m opens "merge" with the cursor in its field; Enter merges.
    page.keyboard.press("m")
    assert page.evaluate("document.activeElement.name") == "merge-into"
    page.keyboard.type(keep.reference)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert status_of(page) == "closed"
    assert "Fusionado" in page.locator(".messages").inner_text()
    page.context.close()


def test_a_search_by_number_keeps_its_hit_first_for_the_keyboard(
    browser, live_server, make_ticket, agent_l1
):
    """Enter in the search box keeps the ticket the number names, above the titles containing
    the number; Esc leaves the box without emptying it (Chrome's own Esc did, and the list
    without the search lost the ticket). The cursor starts on the found ticket: Enter opens it
    (never on its own), j goes on to the rows."""
    named = make_ticket(Status.CLOSED, title="Old printer jam")
    titled = make_ticket(Status.IN_DIAGNOSIS, title=f"Error {named.pk} on intranet")

    page = sign_in(browser, live_server, agent_l1)
    page.fill("#q", f"#{named.pk}")
    page.press("#q", "Enter")
    hit = page.locator("[data-testid=reference-hit]")
    hit.wait_for()
    page.locator(f"tr[data-ticket='{titled.pk}']").wait_for()
    # The first link of the results is the found ticket's (the first stop of Tab there).
    first_link = page.eval_on_selector("#results", "r => r.querySelector('a').dataset")
    assert "referenceHit" in first_link

    page.keyboard.press("Escape")  # out of the search box: the list's keys work
    page.wait_for_timeout(800)  # an emptied box would have asked for the whole queue by now
    assert page.input_value("#q") == f"#{named.pk}"
    assert hit.is_visible() and "/console/" in page.url
    assert "selected" in hit.get_attribute("class")
    page.keyboard.press("j")
    assert page.locator("tr.selected").get_attribute("data-ticket") == str(titled.pk)
    assert "selected" not in hit.get_attribute("class")
    page.keyboard.press("k")
    assert "selected" in hit.get_attribute("class")
    # Enter on a focused button presses it; the cursor's ticket is not opened instead.
    sound = page.locator("[data-live-sound]")
    sound.focus()
    page.keyboard.press("Enter")
    assert sound.get_attribute("aria-pressed") == "true" and "/console/" in page.url
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{named.pk}/")


def test_a_reply_being_typed_survives_taking_the_ticket(
    browser, live_server, make_ticket, agent_l1
):
    """Typing a note, then Take (or any action, or a refusal because a colleague acted
    first): the page reloads and the note was gone. It comes back, still an internal note."""
    ticket = make_ticket(Status.PRIORITIZED)
    page = sign_in(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.check("[data-internal-toggle][value=true]")
    page.fill("textarea[data-reply]", "Checked the logs: the VPN gateway dropped at 09:12.")
    with page.expect_navigation():
        page.keyboard.press("Escape")
        page.keyboard.press("t")  # take, at once
    assert status_of(page) == "in_diagnosis"
    assert page.input_value("textarea[data-reply]") == (
        "Checked the logs: the VPN gateway dropped at 09:12."
    )
    assert page.is_checked("[data-internal-toggle][value=true]")

    with page.expect_navigation():
        page.click("[data-testid=reply-send]")
    assert ticket.comments.get().is_internal
    page.reload()
    assert page.input_value("textarea[data-reply]") == ""  # sent: not kept any more
