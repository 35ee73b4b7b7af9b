"""The console's history: filters push their address, and Back comes to the console page."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

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
    expect(page.locator("#results tr[data-href]")).to_have_count(1)
    page.wait_for_url(lambda url: "q=Printer" in url)  # pushed after the swap

    with page.expect_navigation():
        page.locator("#results tr[data-href] a").first.click()
    page.go_back()

    assert "q=Printer" in page.url
    assert page.locator("#q").input_value() == "Printer"  # the page, with its filters
    assert page.locator("#results tr[data-href]").count() == 1
    assert page.locator("link[rel=stylesheet]").count() >= 1
    page.context.close()


def test_back_and_forward_between_searches_show_the_filters_of_the_rows(
    browser, live_server, agent_l1, make_ticket
):
    """Search, then change the status, then Back and Forward: the search box and the status
    say what the rows are. The restored page showed the first page's empty search box over the
    searched rows, and the next filter change then dropped the search."""
    make_ticket(Status.IN_DIAGNOSIS, title="Printer jams")
    make_ticket(Status.IN_DIAGNOSIS, title="VPN is down")
    page = open_page(browser, live_server, agent_l1, viewport=DESKTOP)
    page.goto(f"{live_server.url}/console/")
    rows = page.locator("#results tr[data-href]")
    with page.expect_response(lambda response: "q=Printer" in response.url):
        page.fill("#q", "Printer")
    expect(page.locator("#results tr[data-href]")).to_have_count(1)
    page.wait_for_url(lambda url: "q=Printer" in url)
    with page.expect_response(lambda response: "status=all" in response.url):
        page.select_option("#f-status", "all")
    page.wait_for_url(lambda url: "status=all" in url)  # pushed after the swap

    page.go_back()
    page.wait_for_url(lambda url: "status=open" in url)
    expect(page.locator("#q")).to_have_value("Printer")
    expect(page.locator("#f-status")).to_have_value("open")
    expect(rows).to_have_count(1)

    page.go_back()
    page.wait_for_url(lambda url: urlparse(url).query == "")
    expect(page.locator("#q")).to_have_value("")
    expect(rows).to_have_count(2)

    page.go_forward()
    page.wait_for_url(lambda url: "q=Printer" in url)
    expect(page.locator("#q")).to_have_value("Printer")
    expect(rows).to_have_count(1)
    with page.expect_response(lambda response: "kind=incident" in response.url):
        page.select_option("#f-kind", "incident")  # the next filter keeps the search
    assert "q=Printer" in page.url
    page.context.close()
