"""A manager opens the SLA dashboard in a real browser, changes the period and a filter, and
reads a figure."""

import re

import pytest

from tests.e2e.test_story import PASSWORD
from tests.reports.conftest import NOW, build_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def _default_policy():
    import importlib

    from django.apps import apps

    importlib.import_module("sla.migrations.0002_default_policy").seed(apps, None)


def test_a_manager_reads_the_dashboard(
    browser,
    live_server,
    manager,
    requester,
    agent_l1,
    agent_l2,
    category,
    screenshot,
    _default_policy,
):
    build_day(requester=requester, agent_l1=agent_l1, agent_l2=agent_l2, category=category)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/"))

    # The server's clock stays real: choose the fixture's day as a custom period.
    page.click("nav.topnav >> text=SLA dashboard")
    page.wait_for_url(re.compile(r"/reports/sla/"))
    assert page.locator("svg.chart").count() == 6
    page.select_option("#id_period", "custom")
    page.fill("#id_start", NOW.date().isoformat())
    page.fill("#id_end", NOW.date().isoformat())
    with page.expect_navigation():
        page.click("[data-testid=apply]")
    assert page.locator("[data-figure=resolved]").inner_text() == "5"
    assert page.locator("[data-figure=mttr]").inner_text() == "5 h 36 min"
    # T2's and T5's breaches, and T6's first response: due at 20:00 that day, never answered —
    # breached by now (the server's real clock), in the period of its due time.
    assert page.locator("[data-figure=breaches]").inner_text() == "3"
    screenshot(page, "sla-dashboard")

    page.select_option("#id_priority", "2")
    with page.expect_navigation():
        page.click("[data-testid=apply]")
    assert page.locator("[data-figure=resolved]").inner_text() == "1"
    assert page.locator("[data-figure=mttr]").inner_text() == "7 h 00 min"
    assert "priority=2" in page.url
    context.close()


def test_the_satisfaction_tables_scroll_inside_their_card_on_a_phone(
    browser, live_server, manager, make_ticket
):
    """On a phone the dashboard's tables are cards of their own: the CSAT tables (eight columns)
    scroll sideways inside theirs, the page does not."""
    from csat.services import csat_request, survey_answer
    from tests.e2e.test_layout import open_page, sideways
    from tickets.models import Status

    for rating in (2, 5):
        ticket = make_ticket(Status.CLOSED, title=f"Rated {rating}")
        survey = csat_request(ticket=ticket)
        assert survey is not None
        survey_answer(survey=survey, rating=rating)
    for language in ("en", "es"):
        page = open_page(browser, live_server, manager, language=language)
        page.goto(f"{live_server.url}/reports/sla/")
        assert page.locator(".csat-tables table").count() == 3
        assert sideways(page) == 0
        page.context.close()


def test_typing_a_date_chooses_the_custom_period_and_a_preset_clears_the_dates(
    browser, live_server, manager
):
    """Dates apply only to a custom period: typed beside "Last 7 days" they were silently
    ignored (the figures stayed the last 7 days')."""
    from tests.e2e.test_layout import open_page

    page = open_page(browser, live_server, manager, viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/reports/sla/")
    assert page.locator("#id_period").input_value() == "7d"
    page.fill("#id_start", "2025-03-01")
    page.fill("#id_end", "2025-03-03")
    assert page.locator("#id_period").input_value() == "custom"
    with page.expect_navigation():
        page.click("[data-testid=apply]")
    assert "period=custom" in page.url and "start=2025-03-01" in page.url

    page.select_option("#id_period", "30d")
    assert page.locator("#id_start").input_value() == ""
    assert page.locator("#id_end").input_value() == ""
    with page.expect_navigation():
        page.click("[data-testid=apply]")
    assert "period=30d" in page.url and "start=2025" not in page.url
    page.context.close()
