"""Delivery against a local HTTP receiver: each platform's payload, retries with backoff,
permanent refusals, dead targets, exactly once under two workers."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from chat.models import ChatDelivery, ChatDeliveryStatus, ChatEvent, Platform
from chat.services import (
    MAX_ATTEMPTS,
    chat_channel_send_test,
    chat_delivery_deliver,
    chat_due_ids,
)
from chat.tasks import flush_chat_outbox
from escalation.models import Tier
from tests.chat.conftest import MATRIX_TOKEN, SLACK_URL_SECRET, TEAMS_URL_SECRET
from tickets.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def escalated_row(make_ticket, make_channel):
    """Escalate a ticket with a channel of `platform` at L2: its one chat row."""

    def make(platform: str, **kwargs) -> ChatDelivery:
        make_channel(platform, tier=Tier.L2, **kwargs)
        ticket = make_ticket(Status.ESCALATED, title="VPN <down> & out")
        return ChatDelivery.objects.get(ticket=ticket, event=ChatEvent.ESCALATED)

    return make


def test_slack_gets_block_kit_with_a_button_to_the_ticket(escalated_row, receiver, settings):
    row = escalated_row(Platform.SLACK)

    assert chat_delivery_deliver(delivery_id=row.pk) is True

    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", SLACK_URL_SECRET)
    assert request.headers["Content-Type"] == "application/json"
    body = request.body
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith(f"Escalated to L2 technical: {row.ticket.reference}")
    header, section, actions = body["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": f"Escalated to L2 technical: {row.ticket.reference}",
        },
    }
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert "VPN &lt;down&gt; &amp; out" in section["text"]["text"]  # mrkdwn escaped
    assert "Needs a network engineer" in section["text"]["text"]
    assert {"type": "mrkdwn", "text": "*Priority*\nP3 medium"} in section["fields"]
    (button,) = actions["elements"]
    assert actions["type"] == "actions" and button["type"] == "button"
    assert button["url"] == f"{settings.SITE_URL}/tickets/{row.ticket_id}/"
    assert button["text"] == {"type": "plain_text", "text": "Open the ticket"}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)


def test_teams_gets_a_message_with_an_adaptive_card_attachment(escalated_row, receiver, settings):
    row = escalated_row(Platform.TEAMS)

    assert chat_delivery_deliver(delivery_id=row.pk) is True

    (request,) = receiver.requests
    assert (request.method, request.path) == ("POST", TEAMS_URL_SECRET)
    assert request.body["type"] == "message"
    (attachment,) = request.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, text, facts = card["body"]
    assert title["type"] == "TextBlock" and title["weight"] == "Bolder"
    assert title["text"] == f"Escalated to L2 technical: {row.ticket.reference}"
    assert text["text"].startswith("VPN <down> & out")  # JSON, not markup: unescaped
    assert facts["type"] == "FactSet"
    assert {"title": "Tier", "value": "L2 technical"} in facts["facts"]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the ticket",
            "url": f"{settings.SITE_URL}/tickets/{row.ticket_id}/",
        }
    ]


def test_matrix_gets_a_room_message_put_with_the_token_and_a_stable_txn_id(
    escalated_row, receiver, settings
):
    row = escalated_row(Platform.MATRIX, language="es")
    receiver.statuses = [502]

    assert chat_delivery_deliver(delivery_id=row.pk) is False
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert chat_delivery_deliver(delivery_id=row.pk) is True

    first, retry = receiver.requests
    path = (
        f"/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/helpdesk-chat-{row.pk}"
    )
    assert (first.method, first.path) == ("PUT", path)
    assert retry.path == first.path  # the same transaction id: the homeserver dedupes
    assert first.headers["Authorization"] == f"Bearer {MATRIX_TOKEN}"
    body = retry.body
    assert body["msgtype"] == "m.notice"
    assert body["format"] == "org.matrix.custom.html"
    # The channel's language: Spanish.
    assert body["body"].startswith(f"Escalado a L2 técnico: {row.ticket.reference}")
    assert f"{settings.SITE_URL}/tickets/{row.ticket_id}/" in body["body"]
    assert "VPN &lt;down&gt; &amp; out" in body["formatted_body"]
    assert f'<a href="{settings.SITE_URL}/tickets/{row.ticket_id}/">' in body["formatted_body"]


def test_a_failed_send_waits_its_backoff_then_succeeds(escalated_row, receiver):
    row = escalated_row(Platform.SLACK)
    receiver.statuses = [500, 503]
    start = timezone.now()

    with time_machine.travel(start, tick=False) as traveller:
        assert chat_delivery_deliver(delivery_id=row.pk) is False
        row.refresh_from_db()
        assert (row.status, row.attempts) == (ChatDeliveryStatus.PENDING, 1)
        assert row.next_attempt_at == start + timedelta(seconds=30)
        assert "HTTP 500" in row.last_error
        # Not due yet: neither the task nor the flush sends it.
        assert chat_delivery_deliver(delivery_id=row.pk) is False
        traveller.move_to(start + timedelta(seconds=25))
        assert chat_due_ids(older_than=timedelta(seconds=20)) == []  # …nor lists it before
        traveller.move_to(start + timedelta(seconds=31))
        assert chat_delivery_deliver(delivery_id=row.pk) is False  # 503
        row.refresh_from_db()
        assert row.next_attempt_at == start + timedelta(seconds=31 + 60)  # doubled
        traveller.move_to(start + timedelta(seconds=92))
        with mock.patch("chat.tasks.deliver_chat.delay") as delay:
            assert flush_chat_outbox() == 1
        delay.assert_called_once_with(row.pk)
        assert chat_delivery_deliver(delivery_id=row.pk) is True

    assert len(receiver.requests) == 3
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (ChatDeliveryStatus.SENT, 3, "")


def test_a_refusal_that_a_retry_cannot_fix_fails_at_once(escalated_row, receiver):
    row = escalated_row(Platform.SLACK)
    receiver.statuses = [404]

    assert chat_delivery_deliver(delivery_id=row.pk) is False

    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (ChatDeliveryStatus.FAILED, 1, None)
    assert row.last_error.startswith("HTTP 404")


def test_a_row_gives_up_after_the_last_attempt(escalated_row, receiver):
    row = escalated_row(Platform.TEAMS)
    ChatDelivery.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)
    receiver.statuses = [500]

    assert chat_delivery_deliver(delivery_id=row.pk) is False

    row.refresh_from_db()
    assert (row.status, row.attempts) == (ChatDeliveryStatus.FAILED, MAX_ATTEMPTS)


def test_a_connection_refused_is_a_quick_failure_kept_for_a_retry(escalated_row, receiver):
    row = escalated_row(Platform.SLACK, url="http://127.0.0.1:9/hooks/dead")

    started = time.monotonic()
    assert chat_delivery_deliver(delivery_id=row.pk) is False
    assert time.monotonic() - started < 2

    row.refresh_from_db()
    assert row.status == ChatDeliveryStatus.PENDING and row.next_attempt_at is not None
    assert "refused" in row.last_error.lower()
    assert "/hooks/dead" not in row.last_error  # the webhook URL (a secret) is not logged


def test_a_target_that_never_answers_costs_one_timeout(escalated_row, receiver, settings):
    settings.HELPDESK_CHAT_TIMEOUT_SECONDS = 0.5
    row = escalated_row(Platform.SLACK)
    receiver.delay = 3

    started = time.monotonic()
    assert chat_delivery_deliver(delivery_id=row.pk) is False
    assert time.monotonic() - started < 2

    row.refresh_from_db()
    assert row.status == ChatDeliveryStatus.PENDING
    assert "timed out" in row.last_error.lower()


def test_the_request_path_only_writes_rows_even_with_a_dead_target(
    make_ticket, make_channel, receiver, api, agent_l1, django_capture_on_commit_callbacks, settings
):
    # Anything sent now would hold this request for the timeout: 20 s, far above what the
    # request takes on a loaded machine (a 3 s bound against a 10 s delay failed under load).
    settings.HELPDESK_CHAT_TIMEOUT_SECONDS = 20
    receiver.delay = 20
    make_channel(Platform.SLACK, tier=Tier.L2)
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    with (
        mock.patch("chat.tasks.deliver_chat.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        started = time.monotonic()
        response = api(agent_l1).post(
            f"/api/tickets/{ticket.pk}/escalate/", {"reason": "Network"}, format="json"
        )
        elapsed = time.monotonic() - started

    assert response.status_code == 200, response.content
    assert elapsed < 10
    assert receiver.requests == []
    (row,) = ChatDelivery.objects.filter(ticket=ticket)
    delay.assert_called_once_with(row.pk)  # handed to a worker after commit


def test_a_broker_outage_leaves_the_row_for_the_flush(
    make_ticket, make_channel, django_capture_on_commit_callbacks
):
    make_channel(Platform.SLACK, tier=Tier.L2)
    with (
        mock.patch("chat.tasks.deliver_chat.delay", side_effect=ConnectionError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = make_ticket(Status.ESCALATED)
    row = ChatDelivery.objects.get(ticket=ticket)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert chat_due_ids(older_than=timedelta(seconds=20)) == [row.pk]


def test_a_disabled_channel_drops_rows_written_before_but_still_sends_tests(
    escalated_row, receiver, manager
):
    row = escalated_row(Platform.SLACK)
    row.channel.is_enabled = False
    row.channel.save()

    assert chat_delivery_deliver(delivery_id=row.pk) is False
    row.refresh_from_db()
    assert (row.status, row.last_error) == (ChatDeliveryStatus.FAILED, "the channel is disabled")

    test = chat_channel_send_test(actor=manager, channel=row.channel)
    assert chat_delivery_deliver(delivery_id=test.pk) is True
    (request,) = receiver.requests
    assert request.body["blocks"][0]["text"]["text"] == "Test message from the helpdesk"


# --- exactly once under two workers (PostgreSQL, real transactions) ----------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_row_send_it_once(escalated_row, receiver):
    row = escalated_row(Platform.SLACK)
    receiver.delay = 0.5  # the first is still sending when the second tries
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        from django.db import connection

        barrier.wait()
        try:
            results.append(chat_delivery_deliver(delivery_id=row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ChatDeliveryStatus.SENT, 1)
