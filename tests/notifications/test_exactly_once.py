"""The outbox sends each message once: retries, redeliveries and racing workers included."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications.models import DeliveryStatus, Notification
from notifications.services import (
    RETRY_MAX,
    notification_deliver,
    outbox_pending_ids,
    retry_delay,
)
from notifications.tasks import deliver_notification, flush_outbox
from tests.factories import UserFactory
from tickets import services


@pytest.mark.django_db
def test_a_redelivered_task_does_not_send_twice(requester):
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get()

    assert deliver_notification.apply(args=[notification.pk]).get() is True
    assert deliver_notification.apply(args=[notification.pk]).get() is False  # redelivered
    assert flush_outbox() == 0

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_waits_for_its_backoff_then_the_sweep_retries_it_once(requester):
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("down")):
        assert notification_deliver(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == DeliveryStatus.PENDING
    assert notification.last_error == "down"  # visible in the admin

    with time_machine.travel(timezone.now() + timedelta(seconds=25)):
        assert notification.pk not in outbox_pending_ids(older_than=timedelta(seconds=20))
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert flush_outbox() == 1
        assert flush_outbox() == 0
    assert len(mail.outbox) == 1


def test_retry_delay_doubles_and_is_capped():
    assert [retry_delay(attempts=n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(attempts=30) == RETRY_MAX


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_row_send_it_once():
    requester = UserFactory(username="racer")
    services.ticket_create(requester=requester, title="t", description="d")
    notification = Notification.objects.get()
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(notification_deliver(notification_id=notification.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1
    assert Notification.objects.get().status == DeliveryStatus.SENT


@pytest.mark.django_db
def test_the_same_cause_enqueued_twice_writes_one_row(
    requester, django_capture_on_commit_callbacks
):
    from notifications.services import notification_enqueue

    with (
        mock.patch("notifications.tasks.deliver_notification.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = notification_enqueue(
            recipient=requester, kind="public_reply", ticket=None, cause="x"
        )
        second = notification_enqueue(
            recipient=requester, kind="public_reply", ticket=None, cause="x"
        )

    assert first == second
    assert Notification.objects.count() == 1
    delay.assert_called_once()
