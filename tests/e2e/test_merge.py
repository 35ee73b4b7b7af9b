"""Issue 21 item 6 in a browser: an agent merges a duplicate into the ticket to keep (from the
ticket page, then from the console's bulk bar); the kept ticket shows the duplicate's
conversation marked "from INC-…", to its requester without the internal notes. Spanish too."""

import pytest

from tests.e2e.test_story import run_action, sign_in, status_of
from tickets import services
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_from_the_ticket_page_and_what_each_reader_sees(
    browser, live_server, make_ticket, agent_l1, requester
):
    keep, duplicate = make_ticket(Status.IN_DIAGNOSIS), make_ticket(Status.PRIORITIZED)
    services.comment_create(ticket=duplicate, actor=requester, body="Floor 2 printer too")
    services.comment_create(
        ticket=duplicate, actor=agent_l1, body="Same root cause as the other", is_internal=True
    )

    agent = sign_in(browser, live_server, agent_l1)
    agent.goto(f"{live_server.url}/tickets/{duplicate.pk}/")
    run_action(agent, "merge", {"into": keep.reference})
    assert status_of(agent) == "closed"
    assert agent.locator("[data-testid=merged-into]").inner_text() == keep.reference

    agent.locator("[data-testid=merged-into]").click()
    agent.wait_for_url(f"**/tickets/{keep.pk}/")
    timeline = agent.locator("[data-testid=timeline]")
    assert timeline.locator(f"[data-merged='{duplicate.pk}']").count() == 1
    assert f"from {duplicate.reference}" in timeline.text_content()
    assert "Floor 2 printer too" in timeline.inner_text()
    assert "Same root cause as the other" in timeline.inner_text()

    # The requester (of both) reads their own words on the kept ticket, not the team's note.
    person = sign_in(browser, live_server, requester)
    person.goto(f"{live_server.url}/tickets/{keep.pk}/")
    conversation = person.locator("[data-testid=timeline]").inner_text()
    assert "Floor 2 printer too" in conversation
    assert "Same root cause as the other" not in conversation
    person.goto(f"{live_server.url}/tickets/{duplicate.pk}/")
    assert keep.reference in person.locator("[data-testid=merged-into]").inner_text()
    agent.context.close()
    person.context.close()


def test_merge_in_bulk_in_spanish(browser, live_server, make_ticket, agent_l1):
    keep = make_ticket(Status.IN_DIAGNOSIS)
    first, second = make_ticket(Status.PRIORITIZED), make_ticket(Status.NEW)
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    page = sign_in(browser, live_server, agent_l1)
    for ticket in (first, second):
        page.locator(f"input[data-bulk-row][value='{ticket.pk}']").check()
    page.locator("#bulk-action").select_option("merge")
    assert page.locator("#bulk-into").is_visible()
    assert not page.locator("#bulk-reason").is_visible()
    page.locator("#bulk-into").fill(keep.reference)
    page.locator("[data-bulk-submit]").click()
    outcome = page.locator("[data-testid=bulk-outcome]")
    outcome.locator(".bulk-summary", has_text="2 hechos").wait_for()
    assert set(Ticket.objects.filter(merged_into=keep).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    page.goto(f"{live_server.url}/tickets/{keep.pk}/")
    assert f"de {first.reference}" in page.locator("[data-testid=timeline]").text_content()
    page.goto(f"{live_server.url}/tickets/{keep.pk}/")
    assert page.locator("details[data-action=merge] summary").inner_text() == (
        "Fusionar en otro ticket"
    )
    page.context.close()
