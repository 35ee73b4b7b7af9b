"""Forms that help (issue 16 items 14 and 16): the focus goes to the first invalid field, every
status pill is readable (4.5:1), files can be dropped on the attachment field, a refused action
keeps what was typed."""

import pytest

from escalation.models import SupportGroup, Tier
from tests.e2e.test_layout import DESKTOP, PHONE, open_page
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Attachment, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG 2 contrast of the computed text colour on the computed background (the nearest
# ancestor with one), for an element `el`.
CONTRAST_JS = """el => {
  const rgb = c => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return c.startsWith('color(') ? m.slice(0, 3).map(x => x * 255).concat([m[3] ?? 1])
                                  : m.concat(m.length === 3 ? [1] : []);
  };
  const lum = ([r, g, b]) => [r, g, b].map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, bg = null;
  while (node) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c[3] > 0) { bg = c; break; }
    node = node.parentElement;
  }
  const fg = rgb(getComputedStyle(el).color);
  const [a, b] = [lum(fg), lum(bg || [255, 255, 255])];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def focused_name(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.name") or ""


def test_a_form_error_puts_the_focus_on_the_first_invalid_field(browser, live_server, requester):
    page = open_page(browser, live_server, requester, viewport=DESKTOP)
    page.goto(f"{live_server.url}/new/")

    with page.expect_navigation():
        page.click("[data-testid=ticket-form] button[type=submit]")
    assert focused_name(page) == "title"

    page.fill("[name=title]", "The printer jams")
    with page.expect_navigation():
        page.click("[data-testid=ticket-form] button[type=submit]")
    assert focused_name(page) == "description"
    page.context.close()


def test_an_action_panel_with_an_error_opens_and_takes_the_focus(
    browser, live_server, agent_l1, make_ticket
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = open_page(browser, live_server, agent_l1, viewport=PHONE)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    panel = page.locator("details[data-action=escalate]")
    panel.locator("summary").click()
    panel.locator("[name=escalate-reason]").fill("   ")  # passes the browser's check, not ours
    with page.expect_navigation():
        panel.locator("button[data-action-submit]").click()

    assert page.locator("details[data-action=escalate]").get_attribute("open") is not None
    assert focused_name(page) == "escalate-reason"
    page.context.close()


def test_a_refused_reassignment_keeps_the_reason_typed(browser, live_server, agent_l2, make_ticket):
    """The agent picked a colleague and wrote why; meanwhile the colleague moved to L3. The
    page comes back with the error beside the choice and the reason still in its box."""
    ticket = services.ticket_take(ticket=make_ticket(Status.ESCALATED), actor=agent_l2)
    AgentFactory(tier=Tier.L2, display_name="Bea Stays")
    moving = AgentFactory(tier=Tier.L2, display_name="Ana Moves")
    reason = 'Ana knows this customer\'s VPN <setup> & "split tunnel" well.\nSee INC-12.'
    page = open_page(browser, live_server, agent_l2, viewport=PHONE)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.locator(".escalation-actions summary", has_text="Reassign within the tier").click()
    form = page.locator("[data-testid=reassign-form]")
    form.get_by_label("New assignee").select_option(label="Ana Moves")
    form.get_by_label("Reason (internal)").fill(reason)
    SupportGroup.objects.get(tier=Tier.L2).members.remove(moving)  # meanwhile, moved to L3
    SupportGroup.objects.create(name="Experts", tier=Tier.L3).members.add(moving)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    form = page.locator("[data-testid=reassign-form]")
    assert form.get_by_label("Reason (internal)").input_value() == reason
    assert "Ana Moves is not an agent of L2" in form.inner_text()
    assert form.locator("xpath=ancestor::details").get_attribute("open") is not None
    assert focused_name(page) == "assignee"  # the field in error, in view
    ticket.refresh_from_db()
    assert ticket.assignee == agent_l2
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_resolution_refused_because_a_colleague_resolved_first_keeps_the_summary(
    browser, live_server, agent_l1, make_ticket, language
):
    """Two agents on one ticket: one writes the resolution summary while the other resolves.
    The page says why, in the agent's language, and the summary is still in its box."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    colleague = AgentFactory(tier=Tier.L1)
    summary = 'Replaced the <relay> & "flushed" the queue.\nSee INC-12.'
    page = open_page(browser, live_server, agent_l1, viewport=PHONE, language=language)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    panel = page.locator("details[data-action=resolve]")
    panel.locator("summary").click()
    panel.locator("[name=resolve-summary]").fill(summary)
    panel.locator("[name=resolve-code]").select_option("fixed")
    services.ticket_resolve(ticket=ticket, actor=colleague, summary="Done", code="fixed")
    with page.expect_navigation():
        panel.locator("button[data-action-submit]").click()

    panel = page.locator("details[data-action=resolve]")
    assert panel.get_attribute("open") is not None
    assert panel.locator("[name=resolve-summary]").input_value() == summary
    expected = {"en": "You cannot do this now.", "es": "No puede realizar esta acción ahora."}[
        language
    ]
    assert expected in page.inner_text("body")
    ticket.refresh_from_db()
    assert ticket.resolution_summary == "Done"
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_status_pill_and_priority_badge_is_readable(browser, live_server, scheme):
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    classes = [f"pill st-{status}" for status in Status.values] + [
        f"prio p{n}" for n in range(1, 6)
    ]
    page.evaluate(
        """classes => {
          const box = document.createElement('div');
          box.id = 'specimens';
          for (const name of classes) {
            const span = document.createElement('span');
            span.className = name; span.textContent = name; box.appendChild(span);
          }
          document.querySelector('main').appendChild(box);
        }""",
        classes,
    )

    ratios = {
        name: page.locator("#specimens > span").nth(n).evaluate(CONTRAST_JS)
        for n, name in enumerate(classes)
    }

    low = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio < 4.5}
    assert not low, f"below 4.5:1 ({scheme}): {low}"
    context.close()


def test_files_dropped_on_the_field_are_sent_with_the_request(browser, live_server, requester):
    page = open_page(browser, live_server, requester, viewport=DESKTOP)
    page.goto(f"{live_server.url}/new/")
    assert "Up to 10.0" in page.locator("[data-testid=attachment-limits]").inner_text()
    page.fill("[name=title]", "Screen flickers")
    page.fill("[name=description]", "Since the update.")

    files = page.evaluate_handle(
        """() => {
          const data = new DataTransfer();
          data.items.add(new File(['flicker at 60 Hz'], 'notes.txt', {type: 'text/plain'}));
          data.items.add(new File(['x'], 'setup.exe', {type: 'application/octet-stream'}));
          return data;
        }"""
    )
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": files})

    listed = page.locator(".dropzone-files li")
    assert listed.count() == 2
    assert "type not accepted" in listed.nth(1).inner_text()  # flagged before it is sent
    page.evaluate(  # keep only the accepted file, as a person would after reading the flag
        """() => {
          const input = document.querySelector('[data-dropzone] input[type=file]');
          const data = new DataTransfer();
          data.items.add(input.files[0]);
          input.files = data.files;
        }"""
    )
    with page.expect_navigation():
        page.click("[data-testid=ticket-form] button[type=submit]")

    ticket = Ticket.objects.get(requester=requester)
    (attachment,) = Attachment.objects.filter(ticket=ticket)
    assert attachment.filename == "notes.txt"
    page.context.close()


def test_switching_the_language_keeps_what_was_typed_on_the_public_form(browser, live_server):
    # The language select reloads the page: a guest's half-written request was lost.
    page = open_page(browser, live_server, viewport=PHONE)
    page.goto(f"{live_server.url}/new/")
    page.fill("#id_name", "Gina Guest")
    page.fill("#id_title", "The printer jams")
    page.fill("#id_description", "On every page since Monday.")

    page.locator("header button", has_text="Menu").click()
    with page.expect_navigation():
        page.select_option("#language-switch", "es")

    assert page.locator("html").get_attribute("lang") == "es"
    assert page.input_value("#id_name") == "Gina Guest"
    assert page.input_value("#id_title") == "The printer jams"
    assert page.input_value("#id_description") == "On every page since Monday."
    page.reload()  # once only: a later visit starts empty
    assert page.input_value("#id_title") == ""
    page.context.close()


@pytest.mark.parametrize(("who", "language"), [("requester", "es"), ("agent_l1", "en")])
def test_back_after_sending_a_reply_does_not_offer_the_sent_text_again(
    browser, live_server, make_ticket, request, who, language
):
    """Back after Send showed the page before it with the text in the box again (the browser
    restores what a form held), under a fresh form key: Send again posted it twice. The box
    is empty now; a reply not yet sent still comes back (the page's own draft, per tab)."""
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    page = open_page(browser, live_server, request.getfixturevalue(who), language=language)
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    page.fill("textarea[data-reply]", "The printer works again, thanks")
    with page.expect_navigation():
        page.click("[data-testid=reply-send]")
    page.go_back()
    page.wait_for_selector("textarea[data-reply]")
    assert page.input_value("textarea[data-reply]") == ""

    page.fill("textarea[data-reply]", "Not sent yet")
    page.reload()
    page.wait_for_selector("textarea[data-reply]")
    assert page.input_value("textarea[data-reply]") == "Not sent yet"
    assert ticket.comments.count() == 1
    page.context.close()
