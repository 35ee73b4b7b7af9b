"""Issue 16, item 1, in a browser: the triage form opens with the ticket's values, the live
preview always says what the form gives, and P1/P2 need the confirmation box."""

import pytest

from tests.e2e.test_story import sign_in
from tickets import services
from tickets.models import Level, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_triage_form_agrees_with_its_preview_and_confirms_p1(
    browser, live_server, requester, agent_l1, category
):
    ticket = services.ticket_create(
        requester=requester, title="Mail is slow", description="…", urgency=Level.MEDIUM
    )
    page = sign_in(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    details = page.locator("details[data-action=triage]")
    preview = page.locator("#priority-preview")

    # Opens with the ticket's values and the priority they give (not High/High vs "P4").
    assert details.locator("[name=triage-impact]").input_value() == "low"
    assert details.locator("[name=triage-urgency]").input_value() == "medium"
    assert preview.locator("strong").inner_text() == "P4 low"
    assert "Medium" in page.locator("[data-testid=requester-chose]").inner_text()

    # The preview follows the form, and P1 brings the confirmation box.
    details.locator("[name=triage-impact]").select_option("high")
    details.locator("[name=triage-urgency]").select_option("high")
    preview.locator("strong", has_text="P1").wait_for()
    assert preview.locator("[name=triage-confirm]").count() == 1

    # Without the tick: refused, nothing changed, the box and the error are shown.
    details.locator("[name=triage-category]").select_option(str(category.pk))
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        details.locator("button[data-action-submit]").click()
    assert "tick the box" in page.locator("[data-testid=confirm-priority]").inner_text()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert page.locator("#priority-preview strong").inner_text() == "P1 critical"

    page.locator("[name=triage-confirm]").check()
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.locator("details[data-action=triage] button[data-action-submit]").click()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.PRIORITIZED, 1)
