"""After-commit hand-offs gathered per process and sent in one call (helpdesk/gather.py,
HELPDESK_GATHER_SECONDS): new outbox rows to the workers, live-queue stamps."""

import threading
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from helpdesk.env import env_float
from helpdesk.gather import Gatherer
from notifications import services as notification_services
from notifications.models import Notification
from tickets import live, services


class Sent:
    """A send function that records its batches (optionally failing the first ones)."""

    def __init__(self, failures: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.failures = failures

    def __call__(self, ids: list[int]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        self.batches.append(list(ids))


def test_ids_from_several_threads_within_the_window_go_in_one_publish():
    sent = Sent()
    gatherer = Gatherer("test", send=sent, window=lambda: 0.5)
    threads = [threading.Thread(target=gatherer.put, args=([pk],)) for pk in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert gatherer.wait_sent(timeout=5)
    assert len(sent.batches) == 1
    assert sorted(sent.batches[0]) == [1, 2, 3]


def test_a_large_gathering_is_published_in_batches_of_at_most_max_batch():
    sent = Sent()
    gatherer = Gatherer("test", send=sent, window=lambda: 0.1, max_batch=2)
    gatherer.put([1, 2, 3, 4, 5])

    assert gatherer.wait_sent(timeout=5)
    assert sent.batches == [[1, 2], [3, 4], [5]]


def test_a_failed_publish_is_logged_and_later_rows_are_still_published(caplog):
    sent = Sent(failures=1)
    gatherer = Gatherer("test", send=sent, window=lambda: 0.01)
    gatherer.put([1])
    assert gatherer.wait_sent(timeout=5)
    gatherer.put([2])

    assert gatherer.wait_sent(timeout=5)
    assert sent.batches == [[2]]  # 1 is left to the outbox sweep
    assert "sending 1 gathered test failed" in caplog.text


def test_flush_publishes_what_waits_at_once_in_the_calling_thread():
    sent = Sent()
    gatherer = Gatherer("test", send=sent, window=lambda: 30)  # the thread would wait 30 s
    gatherer.put([7, 8])

    gatherer.flush()  # what atexit runs when the process ends

    assert sent.batches == [[7, 8]]
    assert gatherer.wait_sent(timeout=0)


@pytest.mark.django_db
def test_ticket_creates_are_handed_to_the_workers_in_one_gathered_publish(
    requester, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_GATHER_SECONDS = 1.0
    with (
        mock.patch("notifications.tasks.deliver_notifications.delay") as deliver_many,
        mock.patch("notifications.tasks.deliver_notification.delay") as deliver_one,
    ):
        for number in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                services.ticket_create(requester=requester, title=f"t{number}", description="d")
        assert notification_services.GATHERED.wait_sent(timeout=5)

    rows = sorted(Notification.objects.values_list("pk", flat=True))
    assert len(rows) == 3
    deliver_one.assert_not_called()
    deliver_many.assert_called_once()
    assert sorted(deliver_many.call_args.args[0]) == rows


@pytest.mark.django_db
def test_live_queue_stamps_of_several_writes_are_set_in_one_call(
    requester, settings, django_capture_on_commit_callbacks
):
    settings.HELPDESK_GATHER_SECONDS = 1.0
    key = "live-queue:tier:1"
    cache.set(key, "before", timeout=None)
    with mock.patch.object(live.STAMPS, "_send_batch", wraps=live._stamp) as stamp:
        for number in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                services.ticket_create(requester=requester, title=f"t{number}", description="d")
        assert cache.get(key) == "before"  # still gathering
        assert live.STAMPS.wait_sent(timeout=5)

    stamp.assert_called_once()
    assert key in stamp.call_args.args[0]
    assert cache.get(key) not in (None, "before")


def test_the_gathering_window_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELPDESK_GATHER_SECONDS", "0.2")
    assert env_float("HELPDESK_GATHER_SECONDS", 0.05) == 0.2
    monkeypatch.setenv("HELPDESK_GATHER_SECONDS", "fast")
    with pytest.raises(ImproperlyConfigured, match="HELPDESK_GATHER_SECONDS must be a number"):
        env_float("HELPDESK_GATHER_SECONDS", 0.05)
