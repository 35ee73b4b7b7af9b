"""Outbound mail through a real SMTP listener on loopback (aiosmtpd): headers and languages."""

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver
from notifications.threads import ticket_thread_id
from tickets import services
from tickets.models import Status

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


class _Collect:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings) -> Iterator[_Collect]:
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.DEFAULT_FROM_EMAIL = "Helpdesk <helpdesk@example.com>"
    settings.HELPDESK_REPLY_TO = "support@example.com"
    try:
        yield handler
    finally:
        controller.stop()


def _deliver_all() -> None:
    for pk in Notification.objects.order_by("pk").values_list("pk", flat=True):
        notification_deliver(notification_id=pk)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_ticket_conversation_arrives_threaded_in_the_requesters_language(
    smtp_server, make_ticket, agent_l1, requester, language
):
    requester.language = language
    requester.save()
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Please try again.")

    _deliver_all()

    to_requester = [m for m in smtp_server.messages if m["To"] == requester.email]
    ack, reply = to_requester
    root = ticket_thread_id(ticket.pk)
    assert ack["Message-ID"] == root
    assert reply["In-Reply-To"] == root and reply["References"] == root
    assert reply["Message-ID"] != root
    for message in (ack, reply):
        assert f"[{ticket.reference}]" in message["Subject"]
        assert message["Reply-To"] == "support@example.com"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message.get_content_type() == "multipart/alternative"
        html = message.get_body(preferencelist=("html",))
        assert f'lang="{language}"' in html.get_content()
    assert "Please try again." in reply.get_body(preferencelist=("plain",)).get_content()
    expected = {"en": "We have received your request", "es": "Hemos recibido su solicitud"}
    assert expected[language] in ack["Subject"]  # es: already in the foundation catalog


def test_a_failing_smtp_server_leaves_the_row_pending_with_the_error(settings, requester):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get(kind=NotificationKind.TICKET_CREATED)

    assert notification_deliver(notification_id=notification.pk) is False

    notification.refresh_from_db()
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.last_error
