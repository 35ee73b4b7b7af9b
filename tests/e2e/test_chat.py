"""A manager sets up a Slack channel in the browser and sends a test message (docs/chat.md)."""

from unittest import mock

import pytest

from chat.models import ChatChannel, ChatDelivery
from chat.services import chat_delivery_deliver
from escalation.models import SupportGroup, Tier
from tests.chat.conftest import receiver  # noqa: F401 (the local Slack stand-in)
from tests.e2e.test_layout import DESKTOP, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_adds_a_slack_channel_and_its_test_message_arrives(
    browser,
    live_server,
    manager,
    receiver,  # noqa: F811
):
    group = SupportGroup.objects.create(name="Service desk", tier=Tier.L1)
    webhook = receiver.url("/services/T9/B9/browserSECRET1234")
    page = open_page(browser, live_server, manager, viewport=DESKTOP)

    page.goto(f"{live_server.url}/escalation/rota/")
    page.click("text=Chat channels")
    page.click("text=New chat channel")
    page.fill("[name=name]", "Desk alerts")
    page.select_option("[name=support_group]", value=str(group.pk))
    page.select_option("[name=platform]", value="slack")
    page.fill("[name=secret]", webhook)
    page.check("input[name=events][value=high_priority]")
    page.check("input[name=events][value=sla_breach]")
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Save')")

    assert page.url.endswith("/chat/")
    assert "••••1234" in page.content() and "browserSECRET" not in page.content()
    channel = ChatChannel.objects.get(name="Desk alerts")
    assert channel.events == ["high_priority", "sla_breach"]

    # The worker, here in the server's thread: the row is sent as soon as it is handed over.
    with mock.patch(
        "chat.tasks.deliver_chat.delay",
        side_effect=lambda pk: chat_delivery_deliver(delivery_id=pk),
    ):
        page.click("button:has-text('Send a test message')")
        page.wait_for_url(f"**/chat/{channel.pk}/")

    page.reload()
    assert ChatDelivery.objects.get(channel=channel).status == "sent"
    assert page.locator("table.data tbody tr").first.inner_text().count("Sent") == 1
    (request,) = receiver.requests
    assert request.body["blocks"][0]["text"]["text"] == "Test message from the helpdesk"
    page.context.close()
