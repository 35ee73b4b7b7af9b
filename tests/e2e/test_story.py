"""The whole story in a browser: a requester asks, L1 triages and escalates, L2 resolves, the
requester confirms. In English and in Spanish, on a desktop (1366×900) and on a phone (390×844),
never wider than the window; screenshots of the key pages."""

from urllib.parse import urlparse

import pytest

from knowledge.models import CannedResponse
from tests.factories import UserFactory
from tickets import services
from tickets.models import Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "secret-pass-123"  # tests/factories.py


DESKTOP = (1366, 900)
PHONE = (390, 844)
# Where people land after signing in: the portal home, the console, the breach register.
LANDINGS = ("/", "/console/", "/breaches/")


def sign_in(browser, live_server, user, *, viewport=DESKTOP):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path in LANDINGS)
    return page


def fits(page) -> None:
    """The page is no wider than the window: nothing to scroll sideways."""
    extra = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert extra <= 0, f"{page.url} is {extra} px wider than the window"


def run_action(page, name: str, fields: dict[str, str] | None = None) -> None:
    """Open the action's panel, fill its form and submit it."""
    details = page.locator(f"[data-action={name}]")
    if details.evaluate("el => el.tagName") == "DETAILS" and details.get_attribute("open") is None:
        details.locator("summary").click()
    for selector, value in (fields or {}).items():
        field = details.locator(f"[name={name}-{selector}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        elif field.get_attribute("type") == "checkbox":
            page.wait_for_load_state("networkidle")  # a live preview may redraw the box
            field.check()
        else:
            field.fill(value)
    with page.expect_navigation():
        details.locator("button[data-action-submit]").click()


def status_of(page) -> str:
    return page.locator("[data-testid=status]").get_attribute("data-status")


BACKGROUND = [
    # title, urgency, triaged with (impact, urgency), taken
    ("Invoice PDF shows the wrong total", "low", ("low", "low"), False),
    ("Cannot log in to the dashboard", "high", ("medium", "high"), True),
    ("Printer on the 2nd floor jams", "medium", None, False),
    ("New laptop for a starter", "low", ("low", "medium"), True),
    ("Emails to customers bounce", "high", ("high", "high"), False),
]


def background_tickets(*, agent, category, customer) -> None:
    """A few other tickets, so the queue looks like a working day."""
    for title, urgency, triage, taken in BACKGROUND:
        ticket = services.ticket_create(
            requester=customer, title=title, description="…", urgency=urgency
        )
        if triage:
            ticket = services.ticket_triage(
                ticket=ticket,
                actor=agent,
                kind="incident",
                category=category,
                impact=triage[0],
                urgency=triage[1],
            )
        if taken:
            services.ticket_take(ticket=ticket, actor=agent)


def story(
    browser,
    live_server,
    screenshot,
    *,
    lang,
    requester,
    agent_l1,
    agent_l2,
    category,
    viewport=DESKTOP,
):
    background_tickets(agent=agent_l1, category=category, customer=UserFactory(display_name="Dana"))
    for user in (requester, agent_l1, agent_l2):
        user.language = lang
        user.save(update_fields=["language"])
    CannedResponse.objects.create(
        title="Greeting" if lang == "en" else "Saludo",
        body="Hello {requester_name}, we are on {ticket_reference}. {agent_name}",
        language=lang,
    )

    phone = viewport == PHONE
    shot = f"{lang}-phone" if phone else lang

    # The requester lands on the portal home and fills the web form.
    customer = sign_in(browser, live_server, requester, viewport=viewport)
    assert customer.locator("html").get_attribute("lang") == lang
    assert customer.locator("[data-testid=portal]").count() == 1
    fits(customer)
    screenshot(customer, f"{shot}-portal")
    customer.click("[data-testid=portal-new]")
    customer.wait_for_url(lambda url: urlparse(url).path == "/new/")
    customer.fill("[name=title]", "La VPN se corta" if lang == "es" else "VPN keeps dropping")
    customer.fill(
        "[name=description]",
        "Cada diez minutos desde esta mañana."
        if lang == "es"
        else "Every ten minutes since this morning.",
    )
    customer.select_option("[name=category]", str(category.pk))
    customer.fill("[name=affected]", "VPN")
    customer.check("[name=urgency][value=high]")
    fits(customer)
    screenshot(customer, f"{shot}-new-request")
    with customer.expect_navigation():
        customer.click("[data-testid=ticket-form] button[type=submit]")
    reference = customer.locator("[data-testid=ticket-reference]").inner_text()
    ticket = Ticket.objects.get(requester=requester)
    assert reference == ticket.reference

    # L1 finds it in the queue and triages it: the priority is shown before saving.
    l1 = sign_in(browser, live_server, agent_l1, viewport=viewport)
    assert l1.locator(f"tr[data-ticket='{ticket.pk}']").count() == 1
    # The P1 background ticket went straight to L3 (routing); the rest and the new one are at L1.
    at_l1 = [b for b in BACKGROUND if b[2] != ("high", "high")]
    assert l1.locator("#count-l1").inner_text() == str(len(at_l1) + 1)
    fits(l1)
    screenshot(l1, f"{shot}-console")
    l1.keyboard.press("j")
    with l1.expect_navigation():
        l1.keyboard.press("Enter")
    assert l1.url.endswith(f"/tickets/{ticket.pk}/")
    details = l1.locator("details[data-action=triage]")
    details.locator("[name=triage-impact]").select_option("high")
    details.locator("[name=triage-urgency]").select_option("high")
    l1.locator("#priority-preview", has_text="P1").wait_for()
    details.locator("[name=triage-impact]").select_option("medium")
    l1.locator("#priority-preview", has_text="P2").wait_for()
    run_action(l1, "triage", {"kind": "incident", "category": str(category.pk), "confirm": "on"})
    assert status_of(l1) == Status.PRIORITIZED
    run_action(l1, "take")
    assert status_of(l1) == Status.IN_DIAGNOSIS

    # A public reply from a canned response, then an internal note.
    l1.select_option("[data-canned]", index=1)
    assert reference in l1.locator("[data-reply]").input_value()
    with l1.expect_navigation():
        l1.keyboard.press("Control+Enter")
    l1.check("[name=reply-is_internal][value=true]")
    l1.fill("[data-reply]", "Gateway logs show drops: needs the network team.")
    with l1.expect_navigation():
        l1.click("[data-testid=reply-form] button[type=submit]")
    run_action(l1, "escalate", {"reason": "Needs a network engineer"})
    assert status_of(l1) == Status.ESCALATED

    # L2 takes and resolves it.
    l2 = sign_in(browser, live_server, agent_l2, viewport=viewport)
    l2.goto(f"{live_server.url}/console/?queue=l2")
    with l2.expect_navigation():
        l2.click(f"tr[data-ticket='{ticket.pk}'] a")
    run_action(l2, "take")
    fits(l2)
    screenshot(l2, f"{shot}-ticket-agent")
    run_action(l2, "resolve", {"summary": "Replaced the faulty switch.", "code": "fixed"})
    assert status_of(l2) == Status.RESOLVED

    # The requester sees the public conversation only, and confirms.
    customer.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    body = customer.locator("main").inner_text()
    assert "Gateway logs" not in body
    assert "Needs a network engineer" not in body
    assert reference in body
    fits(customer)
    screenshot(customer, f"{shot}-ticket-requester")
    run_action(customer, "close")
    assert status_of(customer) == Status.CLOSED

    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.assignee) == (Status.CLOSED, 2, agent_l2)
    assert ticket.comments.filter(is_internal=True).count() == 1
    for page in (customer, l1, l2):
        page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_whole_story_in_english(
    browser, live_server, screenshot, requester, agent_l1, agent_l2, category, viewport
):
    story(
        browser,
        live_server,
        screenshot,
        lang="en",
        requester=requester,
        agent_l1=agent_l1,
        agent_l2=agent_l2,
        category=category,
        viewport=viewport,
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_whole_story_in_spanish(
    browser, live_server, screenshot, requester, agent_l1, agent_l2, category, viewport
):
    story(
        browser,
        live_server,
        screenshot,
        lang="es",
        requester=requester,
        agent_l1=agent_l1,
        agent_l2=agent_l2,
        category=category,
        viewport=viewport,
    )


def test_a_requester_cannot_open_another_requesters_ticket(
    browser, live_server, make_ticket, outsider
):
    ticket = make_ticket()
    page = sign_in(browser, live_server, outsider)

    response = page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    assert response is not None
    assert response.status == 404
    assert ticket.title not in page.content()
    page.context.close()
