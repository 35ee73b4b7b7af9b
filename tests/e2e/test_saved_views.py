"""Issue 21 item 4 in a browser: an agent filters the queue, saves it as a view by keyboard,
makes it the default (the bare console opens it after a reload), opens it with its number key;
a teammate sees it shared; the labels in Spanish."""

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from escalation.models import Tier
from savedviews.models import DefaultView, SavedView
from tests.e2e.test_story import sign_in
from tests.factories import AgentFactory
from tickets.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shown(page) -> set[int]:
    rows = page.eval_on_selector_all("tr[data-ticket]", "rows => rows.map(r => r.dataset.ticket)")
    return {int(pk) for pk in rows}


def test_save_a_view_make_it_default_and_reload(browser, live_server, make_ticket, agent_l1):
    vpn = make_ticket(Status.PRIORITIZED)
    printer = make_ticket(Status.PRIORITIZED, title="Printer jams on page two")

    page = sign_in(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/console/")
    assert _shown(page) == {vpn.pk, printer.pk}
    keyboard = page.keyboard

    # Filter by keyboard: / to the search, type; htmx pushes the filters into the address.
    keyboard.press("/")
    keyboard.type("Printer")
    page.wait_for_url(lambda url: "q=Printer" in url)
    expect(page.locator("tr[data-ticket]")).to_have_count(1)

    # Leave the search field (Esc would also empty a search box): the shortcuts work again.
    # Leaving it fires "change", which the filters form also answers with a request that pushes
    # the address; wait for it, so it cannot land during the Save below.
    def search_request(response) -> bool:
        return "q=Printer" in response.url and response.request.headers.get("hx-request") == "true"

    with page.expect_response(search_request):
        page.evaluate("document.activeElement.blur()")
    expect(page.locator("#results.htmx-request, form.htmx-request")).to_have_count(0)

    # Shift+V: "Save view" opens on its name field; the default box and Save by Tab.
    keyboard.press("Shift+V")
    assert page.evaluate("document.activeElement.id") == "save-view-name"
    keyboard.type("Printers")
    keyboard.press("Tab")  # who sees it: only me
    keyboard.press("Tab")
    keyboard.press("Space")  # open it by default
    keyboard.press("Tab")
    # The POST and its redirect, not a history push, end this wait.
    with page.expect_response(lambda r: r.request.method == "POST" and "/views/" in r.url):
        keyboard.press("Enter")
    page.locator(".messages", has_text="View “Printers” saved.").wait_for()

    view = SavedView.objects.get()
    assert parse_qs(view.query)["q"] == ["Printer"]
    assert DefaultView.objects.get(user=agent_l1).view == view
    assert "View “Printers” saved." in page.locator(".messages").inner_text()
    current = page.locator("[data-view-link][aria-current]")
    assert current.inner_text().replace("\n", "") == "Printers1"
    assert page.locator("[data-testid=default-badge]").is_visible()

    # The bare console (a reload of /console/) opens the default view.
    page.goto(f"{live_server.url}/console/")
    assert parse_qs(urlparse(page.url).query)["q"] == ["Printer"]
    assert _shown(page) == {printer.pk}

    # A tab shows everything again; 1 opens the first view; d stops it being the default.
    page.locator("nav.tabs a[data-queue=l1]").click()
    page.wait_for_load_state()
    assert _shown(page) == {vpn.pk, printer.pk}
    with page.expect_navigation():
        keyboard.press("1")
    assert _shown(page) == {printer.pk}
    with page.expect_navigation():
        keyboard.press("d")
    assert not DefaultView.objects.exists()
    page.goto(f"{live_server.url}/console/")
    assert _shown(page) == {vpn.pk, printer.pk}

    # ? lists the views' shortcuts.
    keyboard.press("?")
    assert "Save the current filters as a view" in page.locator("#shortcuts").inner_text()
    keyboard.press("Escape")

    # v goes to the views; the "Manage" panel of a view opens by keyboard (rename it).
    keyboard.press("v")
    assert page.evaluate("document.activeElement.dataset.viewLink !== undefined")
    keyboard.press("Tab")
    keyboard.press("Enter")  # the view's "Manage" summary
    page.locator(f"#view-name-{view.pk}").fill("Printer jams")
    page.locator(f"#view-name-{view.pk}").focus()
    with page.expect_navigation():
        keyboard.press("Enter")
    assert SavedView.objects.get().name == "Printer jams"


def test_a_shared_view_in_spanish(browser, live_server, make_ticket, agent_l1):
    make_ticket(Status.PRIORITIZED)
    teammate = AgentFactory(username="teammate", tier=Tier.L1, language="es")
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])

    page = sign_in(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/console/?queue=l1&priority=1")
    panel = page.locator("[data-testid=saved-views]")
    assert "Vistas guardadas" in panel.inner_text()
    panel.locator("summary", has_text="Guardar vista").click()
    page.fill("#save-view-name", "P1 del equipo")
    page.select_option("#save-view-visibility", "group")
    with page.expect_navigation():
        page.click("[data-save-view-form] button[type=submit]")
    assert "Vista «P1 del equipo» guardada." in page.locator(".messages").inner_text()
    assert "Compartida" in panel.inner_text()

    # The teammate lists it (by its owner), may make it their default, never delete it.
    other = sign_in(browser, live_server, teammate)
    other.goto(f"{live_server.url}/console/?queue=l1")
    shared = other.locator("[data-view]", has_text="P1 del equipo")
    assert "de Agent_L1" in shared.inner_text()
    shared.locator("summary").click()
    assert shared.locator("[data-view-delete]").count() == 0
    with other.expect_navigation():
        shared.locator("[data-view-default]").click()
    assert "es ahora su vista por defecto" in other.locator(".messages").inner_text()
    other.goto(f"{live_server.url}/console/")
    assert parse_qs(urlparse(other.url).query)["priority"] == ["1"]
    assert other.locator("[data-testid=default-badge]").inner_text() == "Por defecto"
