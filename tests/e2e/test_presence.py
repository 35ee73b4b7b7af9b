"""Issue 21 item 2 in a browser, with two agents in two browser contexts: agent A sees agent B
on the ticket, then typing a reply; B's reply lands first, so A's reply (written on the page
opened before) is held back with what changed, and A sends it anyway. Keyboard only, in English
and Spanish. Presence runs on the live server's own cache (the embedded mode's local memory)."""

import pytest

from tests.e2e.test_story import sign_in
from tests.factories import AgentFactory
from tickets.models import Comment, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "also": "Also on this ticket:",
        "viewing": "viewing",
        "typing": "typing a reply…",
        "changed": "This ticket changed since you opened it.",
        "anyway": "Send anyway",
        "sent": "Reply sent.",
    },
    "es": {
        "also": "También en este ticket:",
        "viewing": "viéndolo",
        "typing": "escribiendo una respuesta…",
        "changed": "Este ticket ha cambiado desde que lo abrió.",
        "anyway": "Enviar de todos modos",
        "sent": "Respuesta enviada.",
    },
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_two_agents_see_each_other_and_a_stale_reply_asks_to_confirm(
    language, browser, live_server, settings, make_ticket, agent_l1, screenshot
):
    settings.HELPDESK_PRESENCE_SECONDS = 1  # a quick heartbeat: the test waits less
    words = WORDS[language]
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    colleague = AgentFactory(username="colleague", display_name="Ana Díaz", language=language)
    agent_l1.language = language
    agent_l1.save(update_fields=["language"])
    url = f"{live_server.url}/tickets/{ticket.pk}/"

    a = sign_in(browser, live_server, agent_l1)
    a.goto(url)
    b = sign_in(browser, live_server, colleague)
    b.goto(url)

    # A sees B viewing (and B sees A).
    presence_a = a.locator("[data-testid=presence]")
    ana = presence_a.locator(f"[data-viewer='{colleague.pk}']")
    ana.wait_for()
    assert words["also"] in presence_a.inner_text()
    assert words["viewing"] in ana.inner_text()
    b.locator(f"[data-testid=presence] [data-viewer='{agent_l1.pk}']").wait_for()

    # B starts typing (r: to the reply box): A sees it at once.
    b.keyboard.press("r")
    b.keyboard.type("I restarted the VPN gateway")
    # One wait for the flag and its words: B's "typing" lasts a couple of heartbeats after the
    # last keystroke, so A's next swap may already say "viewing" when read a moment later.
    presence_a.locator(
        f"[data-viewer='{colleague.pk}'][data-typing]", has_text=words["typing"]
    ).wait_for()

    # B sends first (Ctrl+Enter); A, on the page opened before, writes and sends too.
    with b.expect_navigation():
        b.keyboard.press("Control+Enter")
    assert words["sent"] in b.locator(".messages").inner_text()
    a.keyboard.press("r")
    a.keyboard.type("Please restart the gateway")
    with a.expect_navigation():
        a.keyboard.press("Control+Enter")

    # Held back: what changed is shown (and has the focus), the text is kept, nothing saved.
    changed = a.locator("[data-testid=changed-since]")
    assert words["changed"] in changed.inner_text()
    assert "I restarted the VPN gateway" in changed.inner_text()
    assert "Ana Díaz" in changed.inner_text()
    assert a.evaluate("document.activeElement.dataset.testid") == "changed-since"
    assert a.locator("textarea[data-reply]").input_value() == "Please restart the gateway"
    assert a.locator("[data-testid=reply-send]").inner_text() == words["anyway"]
    assert not Comment.objects.filter(body="Please restart the gateway").exists()
    screenshot(a, f"ticket-reply-held-back-{language}")

    # Confirm by keyboard: Tab on from the list of changes to "Send anyway", then Enter.
    for _ in range(20):
        a.keyboard.press("Tab")
        if a.evaluate("document.activeElement.dataset.testid") == "reply-send":
            break
    assert a.evaluate("document.activeElement.dataset.testid") == "reply-send"
    with a.expect_navigation():
        a.keyboard.press("Enter")
    assert words["sent"] in a.locator(".messages").inner_text()
    assert a.locator("[data-testid=changed-since]").count() == 0
    assert Comment.objects.filter(body="Please restart the gateway").count() == 1

    # B leaves the ticket: A stops seeing them.
    b.goto(f"{live_server.url}/console/")
    presence_a.locator(f"[data-viewer='{colleague.pk}']").wait_for(state="detached")
    a.context.close()
    b.context.close()
