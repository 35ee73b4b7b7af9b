"""Email to ticket against a real IMAP server (dovecot on loopback), seeded with APPEND."""

import pytest

from mailin.mailbox import imap_config, mailbox_poll
from mailin.models import InboundMessage, Outcome
from mailin.tasks import poll_mailbox
from notifications.threads import ticket_thread_id
from tests.mailin.messages import bounce, build
from tickets.models import Comment, Status, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PROCESSED, FAILED = "helpdesk-processed", "helpdesk-failed"


def _poll() -> dict[str, int]:
    config = imap_config()
    assert config is not None
    return mailbox_poll(config=config).counts


def test_a_new_message_becomes_a_ticket_and_moves_to_processed(mailbox):
    mailbox.append(build(message_id="<new@example.org>"))

    assert _poll() == {Outcome.TICKET_CREATED: 1}

    assert Ticket.objects.get().requester.email == "carla@example.org"
    assert (mailbox.count("INBOX"), mailbox.count(PROCESSED)) == (0, 1)
    assert _poll() == {}  # nothing left: never processed twice


def test_replies_by_tag_and_by_header_become_comments(mailbox, make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    email = ticket.requester.email
    mailbox.append(build(sender=email, subject=f"Re: [{ticket.reference}] VPN", body="By tag"))
    mailbox.append(
        build(
            sender=email,
            subject="Re: VPN",
            body="By header",
            headers={"References": f"<x@y> {ticket_thread_id(ticket.pk)}"},
        )
    )

    assert _poll() == {Outcome.COMMENT_ADDED: 2}

    bodies = list(Comment.objects.filter(ticket=ticket).values_list("body", flat=True))
    assert bodies == ["By tag", "By header"]


def test_auto_replies_and_bounces_create_nothing(mailbox):
    mailbox.append(build(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    mailbox.append(bounce())

    assert _poll() == {Outcome.IGNORED: 2}

    assert not Ticket.objects.exists()
    assert mailbox.count(PROCESSED) == 2


def test_a_malformed_message_is_moved_aside_logged_and_never_retried(mailbox, caplog):
    mailbox.append(b"From: nobody\nSubject: broken\nMessage-ID: <broken@x>\n\nno sender\n")
    mailbox.append(build(message_id="<fine@example.org>"))

    assert _poll() == {Outcome.FAILED: 1, Outcome.TICKET_CREATED: 1}

    assert (mailbox.count("INBOX"), mailbox.count(FAILED), mailbox.count(PROCESSED)) == (0, 1, 1)
    assert InboundMessage.objects.get(message_id="<broken@x>").outcome == Outcome.FAILED
    assert "malformed inbound mail" in caplog.text
    assert _poll() == {}


def test_the_same_message_delivered_twice_makes_one_ticket(mailbox):
    raw = build(message_id="<twice@example.org>")
    mailbox.append(raw)
    mailbox.append(raw)

    assert _poll() == {Outcome.TICKET_CREATED: 1, "duplicate": 1}

    assert Ticket.objects.count() == 1
    assert mailbox.count(PROCESSED) == 2


def test_attachments_are_kept(mailbox):
    mailbox.append(build(attachments=[("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n fake")]))

    _poll()

    attachment = Ticket.objects.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("screenshot.png", "image/png")


def test_the_beat_task_polls_only_when_a_host_is_configured(mailbox, settings):
    mailbox.append(build())
    settings.HELPDESK_IMAP_HOST = ""

    assert poll_mailbox() == 0
    assert mailbox.count("INBOX") == 1

    settings.HELPDESK_IMAP_HOST = "127.0.0.1"
    assert poll_mailbox() == 1
