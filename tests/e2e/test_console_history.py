"""The console's history: filters push their address, and Back comes to the console page."""

import pytest

from tests.e2e.test_layout import DESKTOP, PHONE, open_page
from tickets.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("viewport", "language"), [(DESKTOP, "en"), (PHONE, "es")])
def test_back_from_a_ticket_to_a_filtered_console_shows_the_console(
    browser, live_server, agent_l1, make_ticket, viewport, language
):
    """Search, open a ticket, Back: the console with the search and its rows. The browser had
    cached the htmx rows block for the pushed address and showed it bare, unstyled, with no
    filters, tabs or menu."""
    make_ticket(Status.IN_DIAGNOSIS, title="Printer jams")
    make_ticket(Status.IN_DIAGNOSIS, title="VPN is down")
    page = open_page(browser, live_server, agent_l1, viewport=viewport, language=language)
    page.goto(f"{live_server.url}/console/")
    with page.expect_response(lambda response: "q=Printer" in response.url):
        page.fill("#q", "Printer")
    page.wait_for_function("document.querySelectorAll('#results tr[data-href]').length === 1")
    assert "q=Printer" in page.url

    with page.expect_navigation():
        page.locator("#results tr[data-href] a").first.click()
    page.go_back()

    assert "q=Printer" in page.url
    assert page.locator("#q").input_value() == "Printer"  # the page, with its filters
    assert page.locator("#results tr[data-href]").count() == 1
    assert page.locator("link[rel=stylesheet]").count() >= 1
    page.context.close()
