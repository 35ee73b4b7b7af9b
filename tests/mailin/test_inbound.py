"""Email to ticket, through the service (the IMAP side is in test_imap.py)."""

import pytest

from accounts.models import Role, User
from mailin.models import InboundMessage, Outcome
from mailin.services import DUPLICATE, inbound_process
from notifications.models import Notification, NotificationKind
from notifications.services import render_notification
from notifications.threads import ticket_thread_id
from tests.mailin.messages import build
from tickets.models import Comment, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def test_a_new_email_becomes_a_ticket_for_a_new_requester():
    result = inbound_process(raw=build(message_id="<first@example.org>"))

    assert result.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.source) == ("The printer on floor 2 is jammed", Source.EMAIL)
    assert ticket.description == "It shows error E-42 since this morning."
    requester = User.objects.get(email="carla@example.org")
    assert (ticket.requester, requester.role, requester.name) == (
        requester,
        Role.REQUESTER,
        "Carla Ruiz",
    )
    assert result.message is not None and result.message.ticket == ticket


def test_the_acknowledgement_answers_the_requesters_email():
    inbound_process(raw=build(message_id="<first@example.org>"))
    ack = Notification.objects.get(kind=NotificationKind.TICKET_CREATED)

    message = render_notification(notification=ack)

    assert message.extra_headers["In-Reply-To"] == "<first@example.org>"
    assert message.extra_headers["Message-ID"] == ticket_thread_id(ack.ticket_id)


def test_the_same_message_twice_makes_one_ticket():
    raw = build(message_id="<same@example.org>")

    assert inbound_process(raw=raw).outcome == Outcome.TICKET_CREATED
    assert inbound_process(raw=raw).outcome == DUPLICATE

    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_reply_by_subject_tag_is_a_public_comment_that_resumes_a_ticket_on_hold(make_ticket):
    ticket = make_ticket(Status.ON_HOLD)
    raw = build(
        sender=ticket.requester.email,
        subject=f"Re: [{ticket.reference}] VPN is down",
        body="Here are the logs.\n\nOn Monday, Helpdesk wrote:\n> please send logs",
    )

    assert inbound_process(raw=raw).outcome == Outcome.COMMENT_ADDED

    comment = Comment.objects.get(ticket=ticket, author=ticket.requester)
    assert (comment.body, comment.is_internal) == ("Here are the logs.", False)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS


def test_a_reply_by_header_only_finds_its_ticket_and_reopens_a_resolved_one(make_ticket):
    ticket = make_ticket(Status.RESOLVED)
    raw = build(
        sender=ticket.requester.email,
        subject="Re: your ticket",
        body="Still broken.",
        headers={"In-Reply-To": ticket_thread_id(ticket.pk)},
    )

    assert inbound_process(raw=raw).outcome == Outcome.COMMENT_ADDED

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_DIAGNOSIS
    assert ticket.reopen_count == 1


def test_a_reply_to_the_requesters_own_earlier_email_joins_that_ticket():
    inbound_process(raw=build(message_id="<original@example.org>"))
    follow_up = build(
        subject="Re: The printer on floor 2 is jammed",
        body="Also floor 3.",
        headers={"References": "<original@example.org>"},
    )

    assert inbound_process(raw=follow_up).outcome == Outcome.COMMENT_ADDED
    assert Ticket.objects.count() == 1


def test_someone_else_using_the_tag_opens_their_own_ticket(make_ticket):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    raw = build(sender="mallory@example.net", subject=f"Re: [{ticket.reference}] hi")

    assert inbound_process(raw=raw).outcome == Outcome.TICKET_CREATED

    assert not Comment.objects.filter(ticket=ticket).exists()
    assert Ticket.objects.get(requester__email="mallory@example.net").title == "hi"


def test_a_reply_to_a_closed_ticket_opens_a_new_one(make_ticket):
    ticket = make_ticket(Status.CLOSED)
    raw = build(sender=ticket.requester.email, subject=f"Re: [{ticket.reference}] VPN")

    assert inbound_process(raw=raw).outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.count() == 2


def test_an_auto_reply_creates_nothing_and_sends_nothing():
    raw = build(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office")

    assert inbound_process(raw=raw).outcome == Outcome.IGNORED

    assert not Ticket.objects.exists()
    assert not Notification.objects.exists()
    assert not User.objects.filter(email="carla@example.org").exists()


def test_our_own_mail_coming_back_is_ignored(settings):
    settings.HELPDESK_REPLY_TO = "support@example.com"

    assert inbound_process(raw=build(sender="support@example.com")).outcome == Outcome.IGNORED
    assert not Ticket.objects.exists()


def test_attachments_within_the_limits_are_kept_and_others_are_noted(settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    raw = build(
        attachments=[
            ("error.log", "text/plain", b"E-42 at 09:00"),
            ("tool.exe", "application/octet-stream", b"MZ..."),
            ("huge.pdf", "application/pdf", b"%PDF" + b"0" * 2000),
        ]
    )

    inbound_process(raw=raw)

    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.attachments.all()] == ["error.log"]
    assert ticket.attachments.get().file.read() == b"E-42 at 09:00"
    assert "exe" in ticket.description and "huge.pdf" in ticket.description


def test_an_agent_replying_by_email_posts_a_public_reply(make_ticket, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    raw = build(
        sender=agent_l1.email,
        subject=f"Re: [{ticket.reference}] VPN is down",
        body="Please restart.",
    )

    assert inbound_process(raw=raw).outcome == Outcome.COMMENT_ADDED

    comment = Comment.objects.get(ticket=ticket)
    assert (comment.author, comment.is_internal) == (agent_l1, False)
    assert Notification.objects.filter(kind=NotificationKind.PUBLIC_REPLY).count() == 1


def test_an_email_with_nul_characters_still_becomes_a_ticket():
    # PostgreSQL refuses NUL in text: the message failed whole and was moved aside unanswered.
    raw = (
        b"From: Car\x00la <carla@example.org>\r\nSubject: Prin\x00ter jammed\r\n"
        b"Message-ID: <nul@example.org>\r\n\r\nError E-42\x00 since this morning.\r\n"
    )
    result = inbound_process(raw=raw)

    assert result.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get()
    assert ticket.title == "Printer jammed"
    assert ticket.description == "Error E-42 since this morning."
    assert ticket.requester.name == "Carla"


def test_an_invisible_subject_and_body_get_the_usual_stand_ins():
    """A subject or body of zero-width characters alone read as text and made a ticket listed
    as an empty line (or refused it): they are treated as the missing subject and text."""
    result = inbound_process(raw=build(subject="\u200b\u200e", body="\ufeff\u200b\n"))

    assert result.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get()
    assert ticket.title == "Email from carla@example.org"
    assert ticket.description == "(The email had no text.)"


def test_an_8bit_subject_becomes_the_title_without_replacement_characters():
    raw = (
        "From: José <jose@example.org>\r\nSubject: Año nuevo: la impresora no imprime\r\n"
        "Message-ID: <cp1252@example.org>\r\n\r\nNo imprime.\r\n"
    ).encode("cp1252")

    assert inbound_process(raw=raw).outcome == Outcome.TICKET_CREATED

    ticket = Ticket.objects.get()
    assert ticket.title == "Año nuevo: la impresora no imprime"
    assert ticket.requester.name == "José"
    assert InboundMessage.objects.get().subject == ticket.title
