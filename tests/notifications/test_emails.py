"""What each email says, to whom, in which language, and how it threads."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import translation

from escalation.models import Tier
from notifications import services as notification_services
from notifications.models import Notification, NotificationKind
from notifications.services import notification_deliver, render_notification
from notifications.threads import (
    ticket_id_from_subject,
    ticket_id_from_thread_ids,
    ticket_thread_id,
)
from tests.factories import AgentFactory
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def _send(notification: Notification):
    assert notification_deliver(notification_id=notification.pk) is True
    return mail.outbox[-1]


def _last(kind: str, recipient) -> Notification:
    return Notification.objects.filter(kind=kind, recipient=recipient).latest("pk")


# --- threading ---------------------------------------------------------------------------------


def test_acknowledgement_starts_the_tickets_thread_and_carries_the_tag(requester):
    ticket = services.ticket_create(requester=requester, title="Printer", description="d")

    message = _send(_last(NotificationKind.TICKET_CREATED, requester))

    assert message.subject.startswith(f"[{ticket.reference}]")
    assert ticket.reference.startswith("INC-") and len(ticket.reference) == 10
    assert message.extra_headers["Message-ID"] == ticket_thread_id(ticket.pk)
    assert "In-Reply-To" not in message.extra_headers
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert f"/t/{ticket.tracking_token}/" in message.body


def test_every_later_email_replies_into_the_thread_with_its_own_message_id(
    make_ticket, agent_l1, requester
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Try again now.")
    ack = _send(_last(NotificationKind.TICKET_CREATED, requester))

    reply = _send(_last(NotificationKind.PUBLIC_REPLY, requester))

    root = ticket_thread_id(ticket.pk)
    assert reply.extra_headers["In-Reply-To"] == root
    assert reply.extra_headers["References"] == root
    assert reply.extra_headers["Message-ID"] not in (root, ack.extra_headers["Message-ID"])
    assert f"[{ticket.reference}]" in reply.subject


def test_reply_to_is_the_inbound_mailbox_when_configured(settings, requester):
    settings.HELPDESK_REPLY_TO = "support@example.com"
    services.ticket_create(requester=requester, title="t", description="d")

    message = _send(_last(NotificationKind.TICKET_CREATED, requester))

    assert message.extra_headers["Reply-To"] == "support@example.com"


def test_the_thread_id_is_signed_so_a_forged_one_is_ignored():
    genuine = ticket_thread_id(42)
    forged = genuine.replace("ticket-42.", "ticket-43.")

    assert ticket_id_from_thread_ids(["<other@x>", genuine]) == 42
    assert ticket_id_from_thread_ids([forged]) is None
    assert ticket_id_from_subject("Re: [INC-000042] VPN") == 42
    assert ticket_id_from_subject("Re: [req-000007] access") == 7
    assert ticket_id_from_subject("INC-000042 without brackets") is None


# --- what the requester hears ------------------------------------------------------------------


def test_a_public_reply_email_carries_the_reply_text(make_ticket, agent_l1, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=agent_l1, body="Please restart the client.")

    message = _send(_last(NotificationKind.PUBLIC_REPLY, requester))

    assert "Please restart the client." in message.body
    assert "Please restart the client." in message.alternatives[0][0]


def test_an_internal_note_never_reaches_the_requester_even_through_a_forged_row(
    make_ticket, agent_l1, requester
):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    note = services.comment_create(
        ticket=ticket, actor=agent_l1, body="Customer is difficult", is_internal=True
    )
    services.comment_create(ticket=ticket, actor=agent_l1, body="Public answer")
    notification = _last(NotificationKind.PUBLIC_REPLY, requester)
    notification.context = {"comment_id": str(note.pk)}
    notification.save()

    message = _send(notification)

    assert "Customer is difficult" not in message.body


def test_escalation_tells_the_requester_a_specialist_team_has_it_without_the_reason(
    make_ticket, requester
):
    ticket = make_ticket(Status.ESCALATED)

    message = _send(_last(NotificationKind.STATUS_CHANGED, requester))

    assert "specialist team" in message.body
    assert "Needs a network engineer" not in message.body  # the internal reason
    assert ticket.reference in message.subject


def test_waiting_on_you_asks_the_requester_with_the_agents_reason(make_ticket, requester):
    make_ticket(Status.ON_HOLD)

    message = _send(_last(NotificationKind.STATUS_CHANGED, requester))

    assert "waiting on you" in message.body
    assert "Need logs" in message.body


def test_resolution_email_has_the_summary_and_confirm_and_reopen_links(make_ticket, requester):
    ticket = make_ticket(Status.RESOLVED)

    message = _send(_last(NotificationKind.STATUS_CHANGED, requester))

    assert "Restarted the VPN gateway." in message.body
    assert f"/t/{ticket.tracking_token}/?do=close" in message.body
    assert f"/t/{ticket.tracking_token}/?do=reopen" in message.body
    assert f"/t/{ticket.tracking_token}/?do=close" in message.alternatives[0][0]


def test_a_resolution_email_sent_late_still_describes_the_resolution(make_ticket, requester):
    ticket = make_ticket(Status.RESOLVED)
    resolved = _last(NotificationKind.STATUS_CHANGED, requester)
    services.ticket_close(ticket=ticket, actor=requester)

    message = _send(resolved)

    assert "Resolved" in message.subject
    assert "?do=reopen" in message.body


def test_closing_tells_the_requester(make_ticket, requester):
    make_ticket(Status.CLOSED)

    message = _send(_last(NotificationKind.STATUS_CHANGED, requester))

    assert "This ticket is closed" in message.body


# --- what agents hear --------------------------------------------------------------------------


def test_escalation_notifies_every_agent_of_the_target_tier_only(make_ticket, agent_l1, agent_l2):
    second_l2 = AgentFactory(username="second_l2", tier=Tier.L2)
    AgentFactory(username="inactive_l2", tier=Tier.L2, is_active=False)
    AgentFactory(username="other_l3", tier=Tier.L3)

    ticket = make_ticket(Status.ESCALATED)

    notified = set(
        Notification.objects.filter(kind=NotificationKind.ESCALATED_TO_TIER).values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {agent_l2.username, second_l2.username}
    message = _send(_last(NotificationKind.ESCALATED_TO_TIER, agent_l2))
    assert "Needs a network engineer" in message.body  # staff may read the internal reason
    assert f"/tickets/{ticket.pk}/" in message.body


def test_a_requester_reply_email_to_the_assignee_quotes_it(make_ticket, requester, agent_l1):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    services.comment_create(ticket=ticket, actor=requester, body="Here are the logs.")

    message = _send(_last(NotificationKind.REQUESTER_REPLIED, agent_l1))

    assert "Here are the logs." in message.body


# --- languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_template_renders_inside_the_recipients_language(requester, language):
    """The body and subject are rendered with translation.override(recipient.language)."""
    requester.language = language
    requester.save()
    services.ticket_create(requester=requester, title="t", description="d")
    seen: list[str | None] = []
    real = notification_services.render_to_string

    def spy(name, context):
        seen.append(translation.get_language())
        return real(name, context)

    with mock.patch.object(notification_services, "render_to_string", side_effect=spy):
        message = render_notification(
            notification=_last(NotificationKind.TICKET_CREATED, requester)
        )

    assert len(seen) >= 2 and set(seen) == {language}  # the text and the HTML templates
    assert f'lang="{language}"' in message.alternatives[0][0]


def test_spanish_subject_comes_from_the_catalog(requester):
    # Spanish text: this subject is already in locale/es (the foundation's catalog).
    requester.language = "es"
    requester.save()
    services.ticket_create(requester=requester, title="Impresora", description="d")

    message = _send(_last(NotificationKind.TICKET_CREATED, requester))

    assert "Hemos recibido su solicitud" in message.subject


def test_times_in_emails_use_the_recipients_time_zone(requester):
    requester.time_zone = "Europe/Madrid"
    requester.save()
    services.ticket_create(requester=requester, title="t", description="d")
    zones: list[str] = []
    real = notification_services.render_to_string

    def spy(name, context):
        from django.utils import timezone

        zones.append(str(timezone.get_current_timezone()))
        return real(name, context)

    with mock.patch.object(notification_services, "render_to_string", side_effect=spy):
        render_notification(notification=_last(NotificationKind.TICKET_CREATED, requester))

    assert set(zones) == {"Europe/Madrid"}
