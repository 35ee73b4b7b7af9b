"""The look on every page and phone (issue 16 items 10 and 11): no page scrolls sideways at
390×844, the header collapses behind a menu button, the queue becomes cards, long titles wrap."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import api_token_create
from breaches import services as breach_services
from csat import services as csat_services
from escalation.models import RoutingRule, SupportGroup, Tier
from tests.security.access_table import ROWS
from tests.security.test_access import world  # noqa: F401 (the access test's world, reused)
from tests.sla.test_forecast import add_clock
from tests.sla.test_forecast import ticket as forecast_ticket
from tickets import services
from tickets.models import Level, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Not pages: files, feeds, CSV, htmx fragments.
NOT_PAGES = (
    "/files/",
    "/evidence/",
    "/feed/",
    ".csv",
    "/counts/",
    "/priority/",
    "/suggest/",
    "/console/live/",
)
SIGNED_OUT_PAGES = ["/accounts/login/", "/accounts/signup/"]


def open_page(browser, live_server, user=None, *, viewport=PHONE, language="en"):
    """A page signed in as `user` (a session cookie, no sign-in form: faster)."""
    context = browser.new_context(viewport=viewport, locale=language)
    context.set_default_timeout(10_000)
    if user is not None:
        client = Client()
        client.force_login(user)
        user.language = language
        user.save(update_fields=["language"])
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
    return context.new_page()


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def pages_of(persona: str, ids: dict) -> list[str]:
    urls = [
        row.url.format(**ids)
        for row in ROWS
        if row.method == "get"
        and persona in row.allowed
        and not row.url.startswith(("/api/", "/admin/"))
        and not any(part in row.url for part in NOT_PAGES)
    ]
    return urls + (SIGNED_OUT_PAGES if persona == "anonymous" else [])


# In Spanish: its words are the longer ones (the story also checks its English pages on a phone).
@pytest.mark.parametrize("language", ["es"])
def test_no_page_of_any_persona_scrolls_sideways_on_a_phone(
    browser,
    live_server,
    world,  # noqa: F811
    language,
):
    users, ids = world
    services.ticket_update(
        ticket=Ticket.objects.get(pk=ids["ticket"]),
        actor=users["agent_l2"],
        title="Synchronisation_of_the_customer_directory_fails_" * 3,
        reason="A long title must wrap",
    )
    wide: list[str] = []
    visited = 0
    # agent_l3 sees agent_l2's kinds of page (a tier queue, a ticket it does not work).
    personas = ["anonymous", "requester", "agent_l1", "agent_l2", "manager", "security_officer"]
    for persona in personas:
        page = open_page(browser, live_server, users.get(persona), language=language)
        for url in pages_of(persona, ids):
            response = page.goto(f"{live_server.url}{url}", wait_until="domcontentloaded")
            assert response is not None
            if response.status != 200 or "text/html" not in response.headers["content-type"]:
                continue
            visited += 1
            if (extra := sideways(page)) > 0:
                wide.append(f"{persona} {url}: {extra} px too wide")
        page.context.close()
    assert visited > 60
    assert not wide, "\n".join(wide)


def test_the_header_collapses_into_a_menu_on_a_phone(browser, live_server, agent_l1):
    page = open_page(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/console/")
    nav = page.locator("nav.topnav")
    assert not nav.is_visible()
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < 70  # one line, not a column of links

    page.click("[data-testid=menu-toggle]")

    assert nav.get_by_role("link", name="Console").is_visible()
    picker = page.locator("#language-switch")
    assert picker.is_visible()
    box = picker.bounding_box()
    assert box is not None and box["width"] > 200  # a usable picker, not a sliver
    page.keyboard.press("Escape")
    assert not nav.is_visible()
    page.context.close()


def test_the_header_shows_the_menu_on_a_desktop(browser, live_server, agent_l1):
    page = open_page(browser, live_server, agent_l1, viewport=DESKTOP)
    page.goto(f"{live_server.url}/console/")

    assert page.locator("nav.topnav").get_by_role("link", name="Console").is_visible()
    assert not page.locator("[data-testid=menu-toggle]").is_visible()
    page.context.close()


def test_the_queue_is_a_list_of_cards_on_a_phone(browser, live_server, agent_l1, make_ticket):
    make_ticket()
    page = open_page(browser, live_server, agent_l1)
    page.goto(f"{live_server.url}/console/")

    row = page.locator("tbody#queue-body tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "grid"
    head = page.locator("table.queue thead").bounding_box()
    assert head is not None and head["height"] <= 1  # headings for screen readers only
    pill = row.locator(".pill").bounding_box()
    assert pill is not None and pill["width"] < 150  # its text's width, not stretched
    assert sideways(page) == 0
    page.context.close()


def test_status_pills_keep_their_width_on_a_phone(browser, live_server, requester, make_ticket):
    make_ticket()
    page = open_page(browser, live_server, requester)
    page.goto(f"{live_server.url}/my/")

    pill = page.locator(".ticket-list .pill").first.bounding_box()
    assert pill is not None and pill["width"] < 200
    page.context.close()


def test_a_long_unbroken_title_wraps_and_the_queue_fits_the_window(
    browser, live_server, agent_l1, make_ticket
):
    title = "Synchronisation_of_the_customer_directory_fails_" * 4
    ticket = make_ticket(title=title[:200])
    page = open_page(browser, live_server, agent_l1, viewport=DESKTOP)
    page.goto(f"{live_server.url}/console/")

    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
    sla = page.locator("table.queue th").last.bounding_box()
    assert sla is not None and sla["x"] + sla["width"] <= DESKTOP["width"]
    link = page.locator(f"tr[data-ticket='{ticket.pk}'] a.title")
    assert link.get_attribute("title") == ticket.title  # the whole title on hover
    height = link.bounding_box()
    assert height is not None and height["height"] < 60  # cut after two lines
    assert sideways(page) == 0

    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    assert sideways(page) == 0
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_breach_records_values_are_readable_on_a_phone(
    browser, live_server, security_officer, agent_l1, make_ticket, language
):
    """The labels' column took the long labels' whole width and left each value a few letters
    wide ("confi / denti / ality"): on a phone the value now has the panel's width."""
    breach = breach_services.breach_flag_ticket(
        ticket=make_ticket(),
        actor=agent_l1,
        description="An invoice with another customer's details was emailed to our requester.",
    )
    page = open_page(browser, live_server, security_officer, language=language)
    page.goto(f"{live_server.url}/breaches/{breach.pk}/")

    panel = page.locator("dl.breach-fields").bounding_box()
    values = page.locator("dl.breach-fields dd").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().width)"
    )
    assert panel is not None and values
    assert min(values) > panel["width"] * 0.6, values
    page.context.close()


def every_cell_within_the_phone(row) -> None:
    """Each cell of a card row has a width and lies inside the window (not in a sideways scroll)."""
    cells = row.locator("td, th")
    assert cells.count() >= 4
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box is not None and box["width"] > 0, (index, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (index, box)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_breach_register_is_a_list_of_cards_on_a_phone(
    browser, live_server, security_officer, agent_l1, make_ticket, language
):
    """Eight columns on a phone squeezed the title to a few letters a line ("Susp / ecte / d"),
    then scrolled sideways inside their frame (the reporter and risk off-screen): each record
    is now a card, its title the card's width and each value under its label."""
    breach_services.breach_flag_ticket(
        ticket=make_ticket(), actor=agent_l1, description="Invoice sent to the wrong customer."
    )
    page = open_page(browser, live_server, security_officer, language=language)
    page.goto(f"{live_server.url}/breaches/")

    table = page.locator("[data-testid=breach-register]")
    title = table.locator("tbody td.title-text").first.bounding_box()
    assert title is not None and title["width"] >= 280, title
    every_cell_within_the_phone(table.locator("tbody tr").first)
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth")
    labels = (
        table.locator("tbody tr")
        .first.locator("td[data-label]")
        .evaluate_all("els => els.map(el => getComputedStyle(el, '::before').content)")
    )
    assert len(labels) == 6 and all(label not in ("none", "normal") for label in labels), labels
    assert sideways(page) <= 0
    page.context.close()

    # On a desktop it stays a table.
    page = open_page(browser, live_server, security_officer, viewport=DESKTOP, language=language)
    page.goto(f"{live_server.url}/breaches/")
    assert page.locator("[data-testid=breach-register] thead th").first.is_visible()
    page.context.close()


LONGEST_WORD_FITS = """cell => {
    const words = cell.textContent.trim().split(/\\s+/);
    const word = words.reduce((a, b) => (b.length > a.length ? b : a));
    const probe = document.createElement("span");
    probe.style.whiteSpace = "nowrap";
    probe.textContent = word;
    cell.appendChild(probe);
    const wide = probe.getBoundingClientRect().width;
    probe.remove();
    const style = getComputedStyle(cell);
    return cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - wide;
}"""


def test_a_breach_records_history_is_readable_on_a_phone(
    browser, live_server, security_officer, agent_l1, make_ticket
):
    """The history's "What" was cut inside its words ("Flagg / ed from a ticket") and its
    changes were a few words a line."""
    breach = breach_services.breach_flag_ticket(
        ticket=make_ticket(), actor=agent_l1, description="Invoice sent to the wrong customer."
    )
    page = open_page(browser, live_server, security_officer, language="es")
    page.goto(f"{live_server.url}/breaches/{breach.pk}/")

    history = page.locator("[data-testid=breach-history] tbody tr").last
    assert history.locator("td.words").evaluate(LONGEST_WORD_FITS) >= -0.5
    changes = history.locator("td.title-text").bounding_box()
    assert changes is not None and changes["width"] >= 140, changes
    # Its four columns then scrolled sideways inside the panel: each entry is now a card.
    every_cell_within_the_phone(history)
    assert page.locator("[data-testid=breach-history]").evaluate(
        "t => t.scrollWidth <= t.clientWidth"
    )
    assert sideways(page) <= 0
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_api_tokens_name_each_value_on_a_phone(browser, live_server, requester, language):
    """The token table became a card on a phone with its headings hidden: a row read
    "8330763c… 4 Dec 2026, 16:14 never never", which "never" meaning what."""
    api_token_create(user=requester, name="backup script")
    page = open_page(browser, live_server, requester, language=language)
    page.goto(f"{live_server.url}/accounts/profile/")

    labels = page.locator("[data-testid=api-tokens] tbody td").evaluate_all(
        "els => els.map(el => getComputedStyle(el, '::before').content)"
    )
    expected = {
        "en": ['"Starts with"', '"Created"', '"Last used"', '"Expires"'],
        "es": ['"Empieza por"', '"Creación"', '"Último uso"', '"Caduca"'],
    }[language]
    assert [label for label in labels if label not in ("none", "normal")] == expected
    revoke = page.locator("[data-testid=api-tokens] button").bounding_box()
    assert revoke is not None and revoke["x"] + revoke["width"] <= PHONE["width"]
    assert sideways(page) == 0
    page.context.close()


def test_the_managers_ticket_tables_keep_titles_readable_on_a_phone(browser, live_server, manager):
    """The dashboard's at-risk table and the breach forecast squeezed "INC-000092 Los correos a
    clientes rebotan" to a few letters a line ("INC-00009 / 2 Los / correo / s a") on a phone."""
    ticket = forecast_ticket(title="Los correos a clientes rebotan desde esta mañana")
    add_clock(ticket, due_in=timedelta(hours=1), now=timezone.now())  # past 75 %, due in 1 h

    page = open_page(browser, live_server, manager, language="es")
    for path, table in (
        ("/reports/sla/", "[data-testid=at-risk-table]"),
        ("/sla/forecast/", "[data-testid=forecast-list]"),
    ):
        page.goto(f"{live_server.url}{path}")
        cell = page.locator(f"{table} tbody td.title-text").first.bounding_box()
        assert cell is not None and cell["width"] >= 140, (path, cell)
        assert sideways(page) <= 0
    # The forecast's list then scrolled sideways inside its frame (the assignee off-screen):
    # each clock is a card, the columns the groupings above show left out.
    row = page.locator("[data-testid=forecast-list] tbody tr").first
    for cell in row.locator("td:visible").all():
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    assert row.locator("td.hide-sm").first.is_hidden()
    assert page.locator("[data-testid=forecast-list]").evaluate(
        "t => t.scrollWidth <= t.clientWidth"
    )
    page.context.close()


def test_the_satisfaction_tables_keep_their_labels_readable_on_a_phone(
    browser, live_server, manager, make_ticket
):
    """The dashboard's and the CSAT page's tables squeezed "L1 centro de servicio" to one
    letter a line on a phone (a column of 40 lines per row)."""
    ticket = make_ticket(Status.CLOSED)
    csat_services.survey_answer(survey=ticket.csat_survey, rating=5)

    page = open_page(browser, live_server, manager, language="es")
    for path in ("/reports/sla/", "/csat/"):
        page.goto(f"{live_server.url}{path}")
        cell = page.locator(".csat-tables tbody td.title-text").first.bounding_box()
        assert cell is not None and cell["width"] >= 140, (path, cell)
        assert sideways(page) <= 0
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_escalation_lists_keep_their_labels_readable_on_a_phone(
    browser, live_server, manager, agent_l2, language
):
    """A group with a 120-letter name squeezed the other cells of the support groups' table to
    a few letters a line on a phone ("L1 / serv / ice / desk", "Ed / it")."""
    group = SupportGroup.objects.create(name="W" * 120, tier=Tier.L2, lead=agent_l2)
    group.members.add(agent_l2)
    RoutingRule.objects.create(name="R" * 120, position=1, target_group=group, target_tier=2)
    page = open_page(browser, live_server, manager, language=language)
    for path in ("/escalation/groups/", "/escalation/rules/"):
        page.goto(f"{live_server.url}{path}")
        for cell in page.locator("table.data tbody td.words").all():
            assert cell.evaluate(LONGEST_WORD_FITS) >= -0.5, (path, cell.text_content())
        name = page.locator("table.data tbody td.title-text").first.bounding_box()
        assert name is not None and name["width"] >= 140, (path, name)
        assert sideways(page) <= 0
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_satisfaction_tables_show_every_rating_count_within_a_phones_width(
    browser, live_server, manager, make_ticket, language
):
    """The 1–5 counts were off-screen at 390 px, in the tables' sideways scroll: each row is
    now a card with the answers, the average and the five counts, each under its label."""
    ticket = make_ticket(Status.CLOSED)
    csat_services.survey_answer(survey=ticket.csat_survey, rating=4)

    page = open_page(browser, live_server, manager, language=language)
    for path in ("/csat/", "/reports/sla/"):
        page.goto(f"{live_server.url}{path}")
        row = page.locator(".csat-tables tbody tr").first
        cells = row.locator("td")
        assert cells.count() == 8, path
        for index in range(8):
            box = cells.nth(index).bounding_box()
            assert box is not None and box["width"] > 0, (path, index)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, index, box)
        labels = row.locator("td.rating").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)"
        )
        assert labels == ['"1"', '"2"', '"3"', '"4"', '"5"'], (path, labels)
        assert sideways(page) <= 0
    page.context.close()

    # On a desktop it stays a table of eight columns.
    page = open_page(browser, live_server, manager, viewport=DESKTOP, language=language)
    page.goto(f"{live_server.url}/csat/")
    assert page.locator(".csat-tables thead th").first.is_visible()
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_queue_health_shows_every_figure_within_a_phones_width(
    browser, live_server, manager, agent_l1, make_ticket, language
):
    """The last column ("Waiting on requester") sat off-screen in the table's sideways scroll,
    and the tickets' status and SLA broke a letter or two a line: each row is now a card."""
    make_ticket(Status.ON_HOLD)  # taken by agent_l1, waiting on the requester

    page = open_page(browser, live_server, manager, language=language)
    page.goto(f"{live_server.url}/reports/queues/?agent={agent_l1.pk}")
    for table in ("queue-health", "attention"):
        cells = page.locator(f'[data-testid="{table}"] tbody tr').first.locator("td, th")
        assert cells.count() >= 4, table
        for index in range(cells.count()):
            box = cells.nth(index).bounding_box()
            assert box is not None and box["width"] >= 60, (table, index, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (table, index)
    assert sideways(page) <= 0
    page.context.close()

    # On a desktop they stay tables (a class shared with the card lists made them a grid).
    page = open_page(browser, live_server, manager, viewport=DESKTOP, language=language)
    page.goto(f"{live_server.url}/reports/queues/?agent={agent_l1.pk}")
    for table in ("queue-health", "attention"):
        display = page.locator(f'[data-testid="{table}"]').evaluate(
            "t => getComputedStyle(t).display"
        )
        assert display == "table", table
    page.goto(f"{live_server.url}/reports/sla/")
    display = page.locator('[data-testid="at-risk-table"]').evaluate(
        "t => getComputedStyle(t).display"
    )
    assert display == "table"
    page.context.close()


def test_the_dashboards_tables_show_every_column_within_a_phones_width(
    browser, live_server, manager
):
    """The at-risk table's due time (and the compliance tables' "All clocks" and "Met /
    decided") sat off-screen in each table's sideways scroll at 390 px: each row is a card."""
    ticket = forecast_ticket(title="Los correos a clientes rebotan desde esta mañana")
    add_clock(ticket, due_in=timedelta(hours=1), now=timezone.now())  # past 75 %, due in 1 h

    page = open_page(browser, live_server, manager, language="es")
    page.goto(f"{live_server.url}/reports/sla/")
    # (No clock is decided here: the compliance tables have their one "none" row.) The OLA
    # table's seven columns scrolled sideways too: "Hand-off compliance" was off-screen.
    for table, columns in (("at-risk-table", 5), ("ola-table", 7)):
        cells = page.locator(f'[data-testid="{table}"] tbody tr').first.locator("td, th")
        assert cells.count() == columns, table
        for index in range(cells.count()):
            box = cells.nth(index).bounding_box()
            assert box is not None and box["width"] >= 60, (table, index, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (table, index)
        fits = page.locator(f'[data-testid="{table}"]').evaluate(
            "t => t.scrollWidth <= t.clientWidth"
        )
        assert fits, table
    assert sideways(page) <= 0
    page.context.close()


def test_the_chat_channels_and_major_incidents_are_cards_on_a_phone(
    browser, live_server, manager, agent_l1, make_ticket
):
    """Nine columns in 390 px wrapped a channel's name a letter a line, its buttons and the
    incidents' dates sat off-screen in the table's sideways scroll: each row is a card now."""
    from chat.services import chat_channel_save
    from incidents.services import major_incident_declare

    group = SupportGroup.objects.filter(tier=Tier.L1).first() or SupportGroup.objects.create(
        name="L1 desk", tier=Tier.L1
    )
    chat_channel_save(
        actor=manager,
        channel=None,
        name="Demo Slack (incoming webhook) (placeholder, disabled)",
        support_group=group,
        platform="slack",
        events=["high_priority"],
        language="en",
        is_enabled=True,
        secret="https://hooks.slack.invalid/services/T0/B0/LDER",
    )
    major_incident_declare(
        ticket=services.ticket_update(
            ticket=make_ticket(Status.IN_DIAGNOSIS),
            actor=agent_l1,
            impact=Level.HIGH,
            urgency=Level.HIGH,
            reason="Outage",
        ),
        actor=agent_l1,
        public_title="Calendar invitations are not sent",
        message="Looking.",
        next_update_due_at=timezone.now() + timedelta(hours=1),
    )
    page = open_page(browser, live_server, manager)
    for path, cells in (("/chat/", 9), ("/incidents/", 5)):
        page.goto(f"{live_server.url}{path}")
        row = page.locator("table.phone-cards tbody tr").first
        for index in range(cells):
            box = row.locator("td").nth(index).bounding_box()
            assert box is not None and box["width"] > 0, (path, index)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (path, index, box)
        name = row.locator("td.name").bounding_box()
        assert name is not None and name["width"] >= 300, (path, name)
        assert sideways(page) <= 0
    page.context.close()
