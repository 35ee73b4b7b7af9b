from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification, NotificationKind
from notifications.services import MAX_ATTEMPTS, notification_deliver, outbox_pending_ids
from notifications.tasks import flush_outbox
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def test_ticket_creation_queues_one_acknowledgement(requester, django_capture_on_commit_callbacks):
    with (
        mock.patch("notifications.tasks.deliver_notification.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = services.ticket_create(requester=requester, title="t", description="d")

    notification = Notification.objects.get()
    assert (notification.kind, notification.recipient, notification.ticket) == (
        NotificationKind.TICKET_CREATED,
        requester,
        ticket,
    )
    delay.assert_called_once_with(notification.pk)


def test_delivery_sends_once_even_when_run_twice(requester):
    ticket = services.ticket_create(requester=requester, title="Printer", description="d")
    notification = Notification.objects.get()

    assert notification_deliver(notification_id=notification.pk) is True
    assert notification_deliver(notification_id=notification.pk) is False

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [requester.email]
    assert ticket.reference in message.subject
    assert ticket.tracking_token in message.body
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.SENT


def test_email_is_in_the_recipients_language(requester):
    requester.language = "es"
    requester.save()
    services.ticket_create(requester=requester, title="Impresora", description="d")

    notification_deliver(notification_id=Notification.objects.get().pk)

    assert "Hemos recibido" in mail.outbox[0].subject


def test_broker_down_still_saves_the_ticket_and_the_sweep_delivers(
    requester, django_capture_on_commit_callbacks
):
    with (
        mock.patch(
            "notifications.tasks.deliver_notification.delay", side_effect=ConnectionError("down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = services.ticket_create(requester=requester, title="t", description="d")

    assert ticket.pk is not None
    assert Notification.objects.get().status == DeliveryStatus.PENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert flush_outbox() == 1
        assert flush_outbox() == 0
    assert len(mail.outbox) == 1


def test_failed_send_is_retried_then_marked_failed(requester):
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get()

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp")):
        for _ in range(MAX_ATTEMPTS):
            notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert "smtp" in notification.last_error
    assert notification.pk not in outbox_pending_ids(older_than=timedelta(0))


def test_a_stale_claim_is_retried(requester):
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now()
    )

    assert notification_deliver(notification_id=notification.pk) is False  # someone holds it
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert notification_deliver(notification_id=notification.pk) is True


def test_public_reply_notifies_the_requester_but_a_note_does_not(make_ticket, agent_l1, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    before = Notification.objects.filter(recipient=requester).count()

    services.comment_create(ticket=ticket, actor=agent_l1, body="internal", is_internal=True)
    assert Notification.objects.filter(recipient=requester).count() == before

    services.comment_create(ticket=ticket, actor=agent_l1, body="public")
    assert (
        Notification.objects.filter(recipient=requester, kind=NotificationKind.PUBLIC_REPLY).count()
        == 1
    )


def test_requester_reply_notifies_the_assignee(make_ticket, agent_l1, requester):
    ticket = make_ticket(Status.IN_DIAGNOSIS)

    services.comment_create(ticket=ticket, actor=requester, body="more info")

    assert (
        Notification.objects.filter(
            recipient=agent_l1, kind=NotificationKind.REQUESTER_REPLIED
        ).count()
        == 1
    )


def test_resolution_email_carries_the_summary(make_ticket, requester):
    make_ticket(Status.RESOLVED)
    notification = Notification.objects.get(
        recipient=requester, kind=NotificationKind.STATUS_CHANGED
    )

    notification_deliver(notification_id=notification.pk)

    assert "Restarted the VPN gateway." in mail.outbox[-1].body
    assert mail.outbox[-1].alternatives[0][1] == "text/html"
